/**
 * Reproducible tar.gz: entries sorted by name, times at the epoch, owner 0:0 with no names,
 * mode 0644, and gzip's own header with no time or name, so the same files always give the same
 * bytes (and the same sha256, the same S3 key, nothing to redeploy).
 */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar-stream";

export type Files = Map<string, Uint8Array>;

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

/**
 * Regular files at the archive's root (a leading `./` is allowed: `tar -C dir -czf x .` writes
 * it). Anything else, a folder's content included, is refused: SageMaker unpacks the archive as
 * it is, so files in a sub-folder would not be where the server looks.
 */
export async function unpackTarGz(bytes: Uint8Array): Promise<Files> {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(bytes);
  } catch (error) {
    throw new Error(`not a readable gzip file (${(error as Error).message})`);
  }
  const files: Files = new Map();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, "");
      const body = await buffer(entry);
      if (entry.header.type === "directory" && (name === "" || name === ".")) continue;
      if (entry.header.type !== "file" || name.includes("/") || name === "") {
        throw new Error(
          `archive entry ${JSON.stringify(entry.header.name)} is not a file at the root`,
        );
      }
      files.set(name, body);
    }
  })();
  Readable.from([tarBytes]).pipe(extract);
  try {
    await reading;
  } catch (error) {
    extract.destroy();
    throw new Error(`not a readable tar archive (${(error as Error).message})`);
  }
  return files;
}
