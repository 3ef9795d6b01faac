/**
 * Reproducible tar.gz: entries sorted by name, times at the epoch, owner 0:0 with no names,
 * mode 0644, and gzip's own header with no time or name, so the same files always give the same
 * bytes (and the same sha256, the same S3 key, nothing to redeploy).
 *
 * Unpacking is bounded: a model is about 8 KB packed and 100 KB unpacked, so the caps below leave
 * two orders of magnitude of room and still stop a gzip bomb after a few megabytes of work.
 */
import { Readable, Transform } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { createGunzip, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { TarLayoutError, tarEndGuard } from "./tar-end.js";

export type Files = Map<string, Uint8Array>;

const MiB = 1024 * 1024;

/** The size caps of a model (docs/api.md, "Limits"). */
export const MODEL_CAPS = {
  /** Bytes of the model.tar.gz itself (downloaded or read). */
  compressedBytes: 16 * MiB,
  /** Bytes of the tar stream once gunzipped: every entry's body and header. */
  unpackedBytes: 64 * MiB,
  /** Bytes of any one file in the archive. */
  entryBytes: 32 * MiB,
  /** Entries in the archive. */
  entries: 16,
} as const;

/** A cap exceeded: the message names the cap, so whoever reads it knows what was refused. */
export class ModelTooLargeError extends Error {
  override readonly name = "ModelTooLargeError";
}

export const mib = (bytes: number): string => `${bytes / MiB} MiB`;

const EPOCH = new Date(0);

export async function packTarGz(files: Files): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const name of [...files.keys()].sort()) {
    const body = Buffer.from(files.get(name) as Uint8Array);
    pack.entry(
      {
        name,
        size: body.length,
        mode: 0o644,
        mtime: EPOCH,
        uid: 0,
        gid: 0,
        uname: "",
        gname: "",
        type: "file",
      },
      body,
    );
  }
  pack.finalize();
  return gzipSync(await done, { level: 9 });
}

/** Counts the bytes that pass and fails the stream the moment they exceed `cap`. */
function byteCap(cap: number, message: () => string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > cap) done(new ModelTooLargeError(message()));
      else done(null, chunk);
    },
  });
}

/**
 * Regular files at the archive's root (a leading `./` is allowed: `tar -C dir -czf x .` writes
 * it). Anything else, a folder's content included, is refused: SageMaker unpacks the archive as
 * it is, so files in a sub-folder would not be where the server looks. Gunzipped and untarred as
 * one stream, counting as it goes, so nothing past a cap is ever inflated; nothing after the
 * end-of-archive marker is allowed (core/tar-end.ts), as tar and SageMaker would not read it.
 */
export async function unpackTarGz(bytes: Uint8Array): Promise<Files> {
  if (bytes.length > MODEL_CAPS.compressedBytes) {
    throw new ModelTooLargeError(
      `the model is ${bytes.length} bytes, over the ${mib(MODEL_CAPS.compressedBytes)} cap on a model.tar.gz`,
    );
  }
  const files: Files = new Map();
  const extract = tar.extract();
  let entries = 0;
  const errors: Error[] = [];
  const fail = (error: Error) => {
    errors.push(error);
    extract.destroy();
  };
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, "");
      if (++entries > MODEL_CAPS.entries) {
        throw new ModelTooLargeError(
          `the archive has more than ${MODEL_CAPS.entries} entries, the cap on a model`,
        );
      }
      // tar-stream always gives a header's size; the type has it optional
      if ((entry.header.size as number) > MODEL_CAPS.entryBytes) {
        throw new ModelTooLargeError(
          `archive entry ${JSON.stringify(entry.header.name)} is ${entry.header.size} bytes, over the ${mib(MODEL_CAPS.entryBytes)} cap on one file of a model`,
        );
      }
      const body = await buffer(entry);
      if (entry.header.type === "directory" && (name === "" || name === ".")) continue;
      if (entry.header.type !== "file" || name.includes("/") || name === "") {
        throw new Error(
          `archive entry ${JSON.stringify(entry.header.name)} is not a file at the root`,
        );
      }
      files.set(name, body);
    }
  })().catch(fail);
  const unpacking = pipeline(
    Readable.from([bytes]),
    createGunzip(),
    byteCap(
      MODEL_CAPS.unpackedBytes,
      () => `the model unpacks to more than ${mib(MODEL_CAPS.unpackedBytes)}, the cap on a model`,
    ),
    tarEndGuard(),
    extract,
  ).catch(fail);
  await Promise.all([reading, unpacking]);
  // the first cause wins over the "premature close" it leaves in the other half of the pipe
  const tooLarge = errors.find((e) => e instanceof ModelTooLargeError);
  if (tooLarge) throw tooLarge;
  const layout = errors.find((e) => e instanceof TarLayoutError);
  if (layout) throw layout;
  const gzip = errors.find((e) => String((e as NodeJS.ErrnoException).code).startsWith("Z_"));
  if (gzip) throw new Error(`not a readable gzip file (${gzip.message})`);
  const other =
    errors.find((e) => (e as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") ??
    errors[0];
  if (other) throw new Error(`not a readable tar archive (${other.message})`);
  return files;
}
