/**
 * The rows of a line-based input (CSV with an optional header, or JSON lines) read from its
 * bytes a run of whole lines at a time, into one Float64Array for the batch predictor
 * (batch.ts), with each bad line's error in its place: what `iris-mlops predict` reads.
 *
 * One set of rules: a line is read by the per-line readers (csv.ts, lines.ts, as /invocations
 * reads a line) unless it is one the fast path below can prove they accept, with the value
 * they would read: plain ASCII, four positive decimals in the normal range of a double, commas
 * or a JSON array or object of the four features between them and nothing else. Every other
 * line (a quote, a minus, an empty field, a byte over 0x7f, a number out of range, ...) is
 * decoded and given to them, so its answer and its error message are theirs, byte for byte.
 */
import { csvHeader, csvRecordToRow, splitCsvLine } from "./csv.js";
import { FEATURES } from "./features.js";
import { InputError } from "./input.js";
import { lineTooLong, MAX_LINE_BYTES, parseJsonLine } from "./lines.js";
import { csvRow, jsonRow } from "./row-bytes.js";

export type InputFormat = "auto" | "csv" | "jsonl";

/** What the first line decided, for the lines after it (a worker reading later lines gets it). */
export interface LineFormat {
  kind: InputFormat;
  /** A CSV header's column order: `order[k]` is the column of feature k. */
  order: number[] | undefined;
}

/** What an error line adds when the first line stops the reading. */
export const STOPPED_HERE =
  "the first line sets the column order of the rows after it, so reading stopped here";

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const FEATURE_COUNT = FEATURES.length;

/**
 * A batch of lines read: `entries` answers in input order, each a row (`isError` 0, its
 * values the next four of `rows`) or an error line (`isError` 1, its message the next of
 * `errors`). Blank lines and a CSV header are no entry, as the per-line reading answers none.
 */
export class LineBatch {
  rows = new Float64Array(4096 * FEATURE_COUNT);
  rowCount = 0;
  isError = new Uint8Array(4096);
  entries = 0;
  errors: string[] = [];

  clear(): void {
    this.rowCount = 0;
    this.entries = 0;
    this.errors = [];
  }

  /** Room for `entries` more entries, `rows` of them rows. */
  reserve(entries: number, rows: number): void {
    if (this.entries + entries > this.isError.length) {
      const grown = new Uint8Array(Math.max(this.entries + entries, this.isError.length * 2));
      grown.set(this.isError.subarray(0, this.entries));
      this.isError = grown;
    }
    if ((this.rowCount + rows) * FEATURE_COUNT > this.rows.length) {
      const grown = new Float64Array(
        Math.max((this.rowCount + rows) * FEATURE_COUNT, this.rows.length * 2),
      );
      grown.set(this.rows.subarray(0, this.rowCount * FEATURE_COUNT));
      this.rows = grown;
    }
  }
}

export class LineBatchReader {
  private kind: InputFormat;
  private order: number[] | undefined;
  /** The feature in each CSV column (the inverse of `order`). */
  private columns: number[] = FEATURES.map((_, k) => k);
  /** No line has been read yet (blank lines aside): the next one decides the format. */
  private first: boolean;
  /** The first line stopped the reading: nothing after it is read. */
  stopped = false;

  constructor(format: InputFormat | LineFormat) {
    const known = typeof format !== "string";
    this.kind = known ? format.kind : format;
    this.order = known ? format.order : undefined;
    this.first = !known;
    this.setOrder(this.order);
  }

  private setOrder(order: number[] | undefined): void {
    this.order = order;
    this.columns = FEATURES.map((_, k) => k);
    order?.forEach((column, feature) => {
      this.columns[column] = feature;
    });
  }

  /** The format the first line decided, once it has been read (undefined before). */
  get format(): LineFormat | undefined {
    return this.first || this.stopped ? undefined : { kind: this.kind, order: this.order };
  }

  /**
   * Reads the whole lines in `bytes[start, end)` (the last may lack its newline, at the end of
   * the input), the first of them being line `firstLine` (from 1), into `batch`; returns how
   * many lines that was. Stops after a line that stops the reading.
   */
  read(bytes: Buffer, start: number, end: number, firstLine: number, batch: LineBatch): number {
    // a line is at least its newline, a row at least `1,1,1,1` and its newline
    batch.reserve(end - start + 1, ((end - start) >> 3) + 1);
    // only locals after the loop (see fill in answer-bytes.ts)
    let lines = 0;
    for (let at = start; at < end && !this.stopped; lines++) {
      // a loop, not indexOf: a call into Buffer's native code costs more than a line's bytes
      let stop = at;
      while (stop < end && bytes[stop] !== NEWLINE) stop++;
      this.readLine(bytes, at, stop, firstLine + lines, batch);
      at = stop + 1;
    }
    return lines;
  }

  /** A line too long to keep, `bytes` long, that the caller skipped (it crossed its chunks). */
  readTooLong(bytes: number, line: number, batch: LineBatch): void {
    if (this.stopped) return;
    batch.reserve(1, 0);
    this.decided();
    this.error(lineTooLong(bytes), line, batch);
  }

  private readLine(bytes: Buffer, start: number, stop: number, line: number, batch: LineBatch) {
    // as the per-line reading cut lines (bench/lib/read-lines.ts): over the limit by more than
    // a \r, the length with the \r
    const end = stop > start && bytes[stop - 1] === RETURN ? stop - 1 : stop;
    if (end - start > MAX_LINE_BYTES) {
      this.readTooLong(stop - start > MAX_LINE_BYTES + 1 ? stop - start : end - start, line, batch);
      return;
    }
    // room counted in read(); this only guards against a wrong count (a typed array drops
    // a write past its end without a word)
    if ((batch.rowCount + 1) * FEATURE_COUNT > batch.rows.length) batch.reserve(1, 1);
    if (!this.first) {
      const values = batch.rows;
      const at = batch.rowCount * FEATURE_COUNT;
      const read =
        this.kind === "csv"
          ? csvRow(bytes, start, end, this.columns, values, at)
          : jsonRow(bytes, start, end, values, at);
      if (read) {
        batch.isError[batch.entries++] = 0;
        batch.rowCount++;
        return;
      }
    }
    this.readText(bytes.toString("utf8", start, end), line, batch);
  }

  /** The first line decides the format; an error on it stops a CSV input. */
  private decided(): void {
    if (!this.first) return;
    this.first = false;
    if (this.kind !== "jsonl") this.stopped = true;
  }

  /** One line as the per-line path reads it (bench/lib/per-line-predict.ts). */
  private readText(text: string, line: number, batch: LineBatch): void {
    // a byte-order mark dropped only at the start of the input, nothing trimmed, so that a
    // line one door refuses no other door answers
    const content = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (content.trim() === "") return;
    if (this.kind === "auto") {
      const lead = content.trimStart();
      this.kind = lead.startsWith("{") || lead.startsWith("[") ? "jsonl" : "csv";
    }
    const atFirst = this.first;
    this.decided();
    let row: number[];
    try {
      if (this.kind === "csv") {
        const fields = splitCsvLine(content);
        if (atFirst) {
          this.setOrder(csvHeader(fields));
          this.stopped = false;
          if (this.order) return;
        }
        row = csvRecordToRow(fields, "", this.order);
      } else row = parseJsonLine(content);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.error(error, line, batch);
      return;
    }
    const at = batch.rowCount * FEATURE_COUNT;
    for (let k = 0; k < FEATURE_COUNT; k++) batch.rows[at + k] = row[k] as number;
    batch.isError[batch.entries++] = 0;
    batch.rowCount++;
  }

  private error(error: InputError, line: number, batch: LineBatch): void {
    batch.errors.push(`line ${line}, ${error.message}${this.stopped ? `; ${STOPPED_HERE}` : ""}`);
    batch.isError[batch.entries++] = 1;
  }
}
