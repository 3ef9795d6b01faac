/**
 * Inputs for `iris-mlops predict` as files hold them: many good rows (random measurements in
 * the data's box, as CSV or JSON lines), with bad lines of every kind the readers refuse mixed
 * in, and the ways of cutting a stream into chunks.
 */
import type { Readable } from "node:stream";
import { Writable } from "node:stream";
import fc from "fast-check";
import { boxRow, random } from "../../bench/lib/rows.js";
import { FEATURES } from "../../core/features.js";

/** Lines every reader must refuse (or, blank, skip), each a different rule. */
export const BAD_CSV_LINES = [
  "5.1,3.5,1.4", // three values
  "5.1,3.5,1.4,0.2,9", // five
  "5.1,abc,1.4,0.2",
  "5.1,3.5,1.4,-0.2",
  "5.1,3.5,1.4,0",
  "5.1,,1.4,0.2",
  "5.1,3.5,1.4,1e999",
  "5.1,3.5,1.4,1e-320",
  "5.1,3.5,NaN,0.2",
  '"5.1,3.5,1.4,0.2', // an unclosed quote
  '"5.1",3.5,"1.4",0.2', // quoted: fine
  "5.1,3.5,1.4,0.2\u00a0", // NBSP: trimmed by String.trim, so fine
  "\u00a0 \u3000", // blank to String.trim: skipped
  "",
  "   ",
  `${"1".repeat(70)},1,1,1`, // a field over 64 characters
  `5.1,3.5,1.4,0.2${" ".repeat(5000)}`, // a line over 4 KiB
  "[5.1,3.5,1.4,0.2]",
  "5.1;3.5;1.4;0.2",
  "\ufeff5.1,3.5,1.4,0.2", // a byte-order mark inside the input
  "5.1,3.5,1.4,0.2\r", // a stray CR (before the line's own \r\n)
  "0.1000000000000000055511151231257827,1e22,1e-22,123456789012345678",
];

export const BAD_JSON_LINES = [
  "{not json",
  '["5.1", 3.5, 1.4, 0.2]',
  '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2, "species": "x"}',
  '{"sepal_length": 5.1, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}',
  "[[5.1, 3.5, 1.4, 0.2]]",
  "null",
  "[5.1,3.5,1.4,1e999]",
  "[5.1,3.5,1.4,1e-999]",
  "[05.1,3.5,1.4,0.2]",
  "[5.1,3.5,1.4,-0]",
  '{"sepal_\\u006cength":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}',
  "\u00a0[5.1,3.5,1.4,0.2]",
  "[5.1,3.5,1.4,0.2]\u2028",
  `[5.1,3.5,1.4,0.2]${" ".repeat(5000)}`,
  "[[[[[[[[[[1]]]]]]]]]]",
  "",
  "5.1,3.5,1.4,0.2",
];

/** Random measurements in the data's box, some spelled with more digits. */
export function randomRow(next: () => number): number[] {
  return boxRow(next).map((x) => (next() < 0.8 ? x : x + next() / 10));
}

export interface LinesFile {
  format: "csv" | "jsonl";
  /** One bad line every `badEvery` lines (0: none). */
  badEvery?: number;
  header?: boolean;
  eol?: "\n" | "\r\n";
  seed?: number;
}

/** `count` lines of rows as a file holds them (with its last newline). */
export function linesFile(
  count: number,
  { format, badEvery = 0, header = false, eol = "\n", seed = 1 }: LinesFile,
): string {
  const next = random(seed);
  const bad = format === "csv" ? BAD_CSV_LINES : BAD_JSON_LINES;
  const lines: string[] = header && format === "csv" ? [FEATURES.join(",")] : [];
  for (let i = 0; i < count; i++) {
    if (badEvery > 0 && i % badEvery === badEvery - 1) {
      lines.push(bad[Math.floor(next() * bad.length)] as string);
      continue;
    }
    const row = randomRow(next);
    if (format === "csv") lines.push(row.join(","));
    else if (next() < 0.5) lines.push(JSON.stringify(row));
    else lines.push(JSON.stringify(Object.fromEntries(FEATURES.map((f, k) => [f, row[k]]))));
  }
  return `${lines.join(eol)}${eol}`;
}

/** A text as a stream delivers it: its UTF-8 bytes cut at any places, characters split too. */
export function chunked(text: string, cuts: readonly number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...at, bytes.length]) {
    if (cut > start) chunks.push(bytes.subarray(start, cut));
    start = Math.max(start, cut);
  }
  return chunks;
}

export const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** A writable that keeps every byte written. */
function collector() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString("utf8") };
}

export type Run = (input: Readable, output: Writable) => Promise<unknown>;

/** What `run` writes for the input `input()` makes, and what it returns. */
export async function outputOf(run: Run, input: () => Readable) {
  const { sink, text } = collector();
  const result = await run(input(), sink);
  return { result, text: text() };
}
