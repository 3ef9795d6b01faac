/**
 * Write a sealed artifact: `model.tar.gz`, and its `manifest.json` beside it for people and tools.
 * Given a signing key, the tarball also carries `signature.json` (core/signature.ts).
 */
import type { KeyObject } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Files, packTarGz } from "../core/archive.js";
import { MANIFEST, SIGNATURE, TARBALL } from "../core/artifact.js";
import { signManifest } from "../core/signature.js";

/** The files with the manifest's signature added. */
export function signArtifact(files: Files, privateKey: KeyObject): Files {
  const manifest = files.get(MANIFEST) as Uint8Array;
  return new Map([...files, [SIGNATURE, signManifest(manifest, privateKey)]]);
}

/** Each file lands whole or not at all (write to a temporary name, then rename). */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

export async function writeArtifact(
  outDir: string,
  files: Files,
  signingKey?: KeyObject,
): Promise<{ tarball: string; manifest: string }> {
  await mkdir(outDir, { recursive: true });
  const tarball = join(outDir, TARBALL);
  const manifest = join(outDir, MANIFEST);
  await writeAtomically(
    tarball,
    await packTarGz(signingKey ? signArtifact(files, signingKey) : files),
  );
  await writeAtomically(manifest, files.get(MANIFEST) as Uint8Array);
  return { tarball, manifest };
}
