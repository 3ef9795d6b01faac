/**
 * The end of a tar archive, found the way GNU tar and Python's tarfile find it: at the first
 * all-zero 512-byte block where a header is due. tar-stream skips zero blocks and reads on, so a
 * second tar stream appended after the end would be a second model that only this project sees
 * (`tar -xOzf model.tar.gz manifest.json` and SageMaker see the first). Anything but zero bytes
 * after the end is refused, so both readers always see the same archive.
 *
 * The walk follows tar-stream's layout (a header, then its size in data blocks; no data for a
 * folder) and refuses what would make the two layouts differ: a size that is not plain octal, a
 * pax header that overrides a size, a folder that claims data. One pass, and a header block of
 * state: a pax body is searched as it streams, never held.
 */
import { Transform, type TransformCallback } from "node:stream";

const BLOCK = 512;

/** The archive's layout is refused; the message says why. */
export class TarLayoutError extends Error {
  override readonly name = "TarLayoutError";
}

let zeros = Buffer.alloc(BLOCK);
/** Whether every byte is zero, compared natively: a gzip bomb of zeros is 64 MiB of them. */
function allZero(bytes: Buffer): boolean {
  if (zeros.length < bytes.length) zeros = Buffer.alloc(bytes.length);
  return bytes.equals(zeros.subarray(0, bytes.length));
}

const PAX_TYPES = new Set(["x", "g"]);
const FOLDER = "5";

function octalSize(header: Buffer, offset: number): number {
  const field = header.subarray(124, 136).toString("latin1");
  // leading spaces, then trailing spaces and NULs, trimmed by hand (a regex for the trailing
  // run backtracks quadratically, and the audit holds every regex on input to linear)
  let start = 0;
  let end = field.length;
  while (start < end && field[start] === " ") start++;
  while (end > start && (field[end - 1] === " " || field[end - 1] === "\0")) end--;
  const digits = field.slice(start, end);
  if (!/^[0-7]*$/.test(digits)) {
    throw new TarLayoutError(`the tar header at byte ${offset} has a size that is not octal`);
  }
  return digits === "" ? 0 : Number.parseInt(digits, 8);
}

export function tarEndGuard(): Transform {
  let offset = 0; // bytes of the tar stream seen so far
  let header = Buffer.alloc(0); // the part of a header block read so far
  let skip = 0; // data and padding bytes still to pass before the next header
  let paxLeft = 0; // bytes of a pax header's body still to search for a size record
  let paxTail = Buffer.alloc(0); // its last bytes, for a record split across chunks
  let ended = false;

  function readHeader(block: Buffer, at: number): void {
    if (allZero(block)) {
      ended = true;
      return;
    }
    const type = String.fromCharCode(block[156] as number);
    const size = octalSize(block, at);
    if (type === FOLDER && size !== 0) {
      throw new TarLayoutError(
        `the tar header at byte ${at} is a folder with ${size} bytes of data`,
      );
    }
    if (PAX_TYPES.has(type)) paxLeft = size;
    skip = Math.ceil(size / BLOCK) * BLOCK;
  }

  const SIZE_RECORD = " size="; // a record is "<length> <key>=<value>\n": a key follows a space

  function searchPax(piece: Buffer): void {
    const text = Buffer.concat([paxTail, piece]);
    if (text.includes(SIZE_RECORD)) {
      throw new TarLayoutError(
        "a pax header in the archive sets a file's size, which a model never needs: refusing it",
      );
    }
    paxTail = text.subarray(Math.max(0, text.length - SIZE_RECORD.length + 1));
    paxLeft -= piece.length;
    if (paxLeft === 0) paxTail = Buffer.alloc(0);
  }

  function walk(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (ended) {
        const rest = chunk.subarray(i);
        if (!allZero(rest)) {
          const stray = rest.findIndex((byte) => byte !== 0);
          throw new TarLayoutError(
            `the archive has data after its end-of-archive marker (byte ${offset + i + stray}): tar and SageMaker stop at the marker, so refusing it`,
          );
        }
        return;
      }
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        if (paxLeft > 0) searchPax(chunk.subarray(i, i + Math.min(n, paxLeft)));
        skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(BLOCK - header.length, chunk.length - i);
      header = Buffer.concat([header, chunk.subarray(i, i + n)]);
      i += n;
      if (header.length === BLOCK) {
        readHeader(header, offset + i - BLOCK);
        header = Buffer.alloc(0);
      }
    }
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        walk(chunk);
        offset += chunk.length;
        done(null, chunk);
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
