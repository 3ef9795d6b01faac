/**
 * Lines of a byte stream, each at most `maxBytes`, for the per-line baseline of `iris-mlops
 * predict` (per-line-predict.ts; the command reads runs of whole lines, cli/line-runs.ts).
 * readline keeps a whole line in memory however long it is (a 700 MB line died with "Invalid
 * string length"); here a line over the limit is counted, not kept, up to its newline.
 */
import { MAX_LINE_BYTES } from "../../core/lines.js";

/** A line's text (without its `\n` or `\r\n`), or the byte count of one too long to keep. */
export type Line = { text: string; tooLong?: undefined } | { text?: undefined; tooLong: number };

const NEWLINE = 0x0a;
const RETURN = 0x0d;

export async function* readLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let pending = false;
  const finish = (): Line => {
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    const length = bytes.at(-1) === RETURN ? bytes.length - 1 : bytes.length;
    const line: Line =
      skipping || length > maxBytes
        ? { tooLong: skipping ? size : length }
        : { text: bytes.toString("utf8", 0, length) };
    parts = [];
    size = 0;
    skipping = false;
    pending = false;
    return line;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline < 0 ? bytes.length : newline;
      size += end - start;
      pending = true;
      // one byte over the limit may be the \r of a \r\n
      if (!skipping && size > maxBytes + 1) {
        skipping = true;
        parts = [];
      }
      if (!skipping && end > start) parts.push(bytes.subarray(start, end));
      if (newline < 0) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (pending) yield finish();
}
