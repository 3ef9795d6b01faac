/** Reading and re-making artifact tarballs in tests: headers, tampered content, odd entries. */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import type { Files } from "../../core/archive.js";
import {
  COMPILED_JSON,
  canonicalJson,
  MANIFEST,
  type Manifest,
  MODEL_JSON,
  sealArtifact,
} from "../../core/artifact.js";

export interface TarEntry {
  header: tar.Header;
  body: Buffer;
}

/** Every entry of a .tar.gz, headers included, in archive order. */
export async function tarEntries(tarGz: Uint8Array): Promise<TarEntry[]> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const reading = (async () => {
    for await (const entry of extract)
      entries.push({ header: entry.header, body: await buffer(entry) });
  })();
  Readable.from([gunzipSync(tarGz)]).pipe(extract);
  await reading;
  return entries;
}

/** A .tar.gz of arbitrary entries, in the order given (directories, sub-folders, links…). */
export async function makeTarGz(
  entries: { header: Partial<tar.Header> & { name: string }; body?: Uint8Array | string }[],
): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const { header, body } of entries) {
    if (body === undefined) pack.entry(header);
    else pack.entry(header, Buffer.from(body));
  }
  pack.finalize();
  return gzipSync(await done);
}

/** A .tar.gz of plain files at the root, in the order given. */
export const filesTarGz = (files: Files): Promise<Buffer> =>
  makeTarGz([...files].map(([name, body]) => ({ header: { name, type: "file" }, body })));

export const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

export const readManifest = (files: Files): Manifest =>
  JSON.parse(text(files.get(MANIFEST))) as Manifest;

/**
 * Edit compiled.json and seal the artifact again, manifest hashes and model_version updated:
 * what a buggy trainer or a deliberate forger would produce. Only content checks can catch it.
 */
export type EditableCompiled = {
  forest: Record<string, number | number[]>;
  novelty: Record<string, unknown>;
};
export function resealWithCompiled(
  files: Files,
  edit: (compiled: EditableCompiled) => void,
): Files {
  const { format: _format, model_version: _version, files: _files, ...body } = readManifest(files);
  const compiled = JSON.parse(text(files.get(COMPILED_JSON)));
  edit(compiled);
  return sealArtifact(body, {
    [MODEL_JSON]: text(files.get(MODEL_JSON)),
    [COMPILED_JSON]: canonicalJson(compiled),
  });
}
