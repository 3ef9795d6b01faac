/**
 * A byte stream cut into runs of whole lines, for `iris-mlops predict`: each chunk read up to
 * its last newline (the rest waits for the next chunk), so that a run can be read, predicted
 * and written at once (core/line-batch.ts). A line longer than MAX_LINE_BYTES is not kept
 * whatever its length: once its start is too long it is counted up to its newline, so memory
 * stays flat (readline kept a 700 MB line whole and died with "Invalid string length").
 */
import { MAX_LINE_BYTES } from "../core/lines.js";

/** Whole lines (the last run of an input may end without a newline), or a line too long to keep. */
export type LineRun =
  | { bytes: Buffer; tooLong?: undefined }
  | { bytes?: undefined; tooLong: number };

const NEWLINE = 0x0a;

export async function* lineRuns(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxBytes = MAX_LINE_BYTES,
): AsyncGenerator<LineRun> {
  // the start of a line not yet ended, or (skipping) the bytes of a too-long one so far
  let carry: Buffer | undefined;
  let skipped = -1;
  for await (const chunk of input) {
    let bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (skipped >= 0) {
      const newline = bytes.indexOf(NEWLINE);
      if (newline < 0) {
        skipped += bytes.length;
        continue;
      }
      yield { tooLong: skipped + newline };
      skipped = -1;
      bytes = bytes.subarray(newline + 1);
    }
    if (carry !== undefined) {
      bytes = Buffer.concat([carry, bytes]);
      carry = undefined;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last >= 0) yield { bytes: bytes.subarray(0, last + 1) };
    const rest = bytes.length - last - 1;
    // one byte over the limit may be the \r of a \r\n, which the line reader drops
    if (rest > maxBytes + 1) skipped = rest;
    else if (rest > 0) carry = Buffer.from(bytes.subarray(last + 1));
  }
  if (skipped >= 0) yield { tooLong: skipped };
  else if (carry !== undefined) yield { bytes: carry };
}
