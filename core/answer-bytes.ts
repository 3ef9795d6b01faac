/**
 * The answers to a batch of lines (line-batch.ts, batch.ts) written straight into bytes, one
 * line per entry in input order:
 * - JSON lines: a prediction as JSON.stringify(predictor.predict(row)) writes it, an error as
 *   JSON.stringify({ error }), each and a newline;
 * - CSV: a header first (`species`, `probability_<class>` per class, `is_iris`, `error`), then
 *   a prediction as its fields with `error` empty, an error as empty fields and its message.
 * Every piece of text an answer can hold is made once per model (a class name quoted, a vote
 * share as JSON writes the number), and each distinct line once, so a row is one copy.
 */
import { memoByAnswer } from "./answer-memo.js";
import type { BatchPredictions } from "./batch.js";
import type { LineBatch } from "./line-batch.js";

export type OutputFormat = "jsonl" | "csv";

export interface AnswerWriter {
  /** What goes before the first answer (the CSV header), or nothing. */
  readonly head: Buffer;
  /** The answers to `batch`, whose rows `predictions` holds. */
  write(batch: LineBatch, predictions: BatchPredictions): Buffer;
}

const utf8 = (text: string) => Buffer.from(text, "utf8");

/** A field as RFC 4180 writes it: quoted, quotes doubled, when it holds a comma, quote or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Copies `bytes` into `out` at `at`; returns where they end. */
function put(out: Buffer, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

interface Column {
  index: number;
  before: Buffer;
}

/** The pieces of a prediction's line: species head, then per column its name and its share, then the tail. */
interface Pieces {
  heads: Buffer[];
  /** Per output column: the class whose share it shows, and what comes before the share. */
  columns: Column[];
  /** A share's text for each vote count, 0 … trees. */
  shares: Buffer[];
  tails: [Buffer, Buffer];
  error: (message: string) => Buffer;
}

function writer(pieces: Pieces, classes: number, trees: number, head: Buffer): AnswerWriter {
  const { heads, columns, shares, tails, error } = pieces;
  const longest = (list: readonly Buffer[]) => Math.max(...list.map((b) => b.length));
  const rowBytes =
    longest(heads) +
    columns.reduce((sum, column) => sum + column.before.length, 0) +
    columns.length * longest(shares) +
    longest(tails);

  /** The line of row `row`, from its pieces. */
  const build = ({ species, votes, isIris }: BatchPredictions, row: number): Buffer =>
    Buffer.concat([
      heads[species[row] as number] as Buffer,
      ...columns.flatMap(({ index, before }) => [
        before,
        shares[votes[row * classes + index] as number] as Buffer,
      ]),
      tails[isIris[row] as number] as Buffer,
    ]);
  // a line is its species, votes and is_iris: made once per distinct one
  const lineOf = memoByAnswer(classes, trees, build);

  /**
   * Writes every entry's line into `out`; returns the bytes written. Only locals after the loop:
   * V8 compiles the loop while it runs (OSR), before anything after it has run, and code after
   * it that needs what running would have told (a property read, an addition) made the compiled
   * loop bail out at its end on every call.
   */
  const fill = (
    out: Buffer,
    batch: LineBatch,
    predictions: BatchPredictions,
    messages: readonly Buffer[],
  ): number => {
    const { isError, entries } = batch;
    let at = 0;
    let row = 0;
    let message = 0;
    for (let entry = 0; entry < entries; entry++)
      at = put(
        out,
        at,
        isError[entry] === 1 ? (messages[message++] as Buffer) : lineOf(predictions, row++),
      );
    return at;
  };

  return {
    head,
    write(batch, predictions) {
      const messages = batch.errors.map(error);
      let size = batch.rowCount * rowBytes;
      for (const message of messages) size += message.length;
      // never from Buffer's shared pool: a worker hands the bytes over whole (cli/predict-jobs.ts)
      const out = Buffer.allocUnsafeSlow(size);
      return out.subarray(0, fill(out, batch, predictions, messages));
    },
  };
}

const shareTexts = (trees: number) =>
  Array.from({ length: trees + 1 }, (_, votes) => utf8(String(votes / trees)));

/**
 * JSON lines, as predictionJson (serving/prediction-json.ts) writes a Prediction: the
 * probabilities' keys in the order JSON.stringify visits them (integer-like names first, a
 * name given twice once, with its last class's share), as predictor.predict makes them.
 */
export function jsonLinesWriter(classes: readonly string[], trees: number): AnswerWriter {
  const keyed: Record<string, number> = {};
  classes.forEach((name, c) => {
    keyed[name] = c;
  });
  const names = Object.keys(keyed);
  return writer(
    {
      heads: classes.map((name) => utf8(`{"species":${JSON.stringify(name)},"probabilities":{`)),
      columns: names.map((name, k) => ({
        index: keyed[name] as number,
        before: utf8(`${k > 0 ? "," : ""}${JSON.stringify(name)}:`),
      })),
      shares: shareTexts(trees),
      tails: [utf8(`},"is_iris":false}\n`), utf8(`},"is_iris":true}\n`)],
      error: (message) => utf8(`${JSON.stringify({ error: message })}\n`),
    },
    classes.length,
    trees,
    Buffer.alloc(0),
  );
}

/** CSV: the header's columns, then one line per answer with as many fields. */
export function csvWriter(classes: readonly string[], trees: number): AnswerWriter {
  const header = [
    "species",
    ...classes.map((name) => `probability_${name}`),
    "is_iris",
    "error",
  ].map(csvField);
  const empty = ",".repeat(header.length - 1);
  return writer(
    {
      heads: classes.map((name) => utf8(csvField(name))),
      columns: classes.map((_, c) => ({ index: c, before: utf8(",") })),
      shares: shareTexts(trees),
      tails: [utf8(",false,\n"), utf8(",true,\n")],
      error: (message) => utf8(`${empty}"${message.replaceAll('"', '""')}"\n`),
    },
    classes.length,
    trees,
    utf8(`${header.join(",")}\n`),
  );
}

export function answerWriter(
  format: OutputFormat,
  classes: readonly string[],
  trees: number,
): AnswerWriter {
  return format === "csv" ? csvWriter(classes, trees) : jsonLinesWriter(classes, trees);
}
