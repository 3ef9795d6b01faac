/**
 * The rows of a CSV or JSON-lines /invocations body read from its bytes, a run of lines at a
 * time, straight into a Float64Array for the columnar predictor (core/batch.ts): no string,
 * array or object per row. A line the byte readers (core/row-bytes.ts, what `iris-mlops predict`
 * reads with) can prove they read as the per-line readers would is read there; any other line
 * (blank, quoted, a minus, non-ASCII, a CR on an unterminated last line, too long, ...) is
 * decoded and given to lineRow (invocations.ts), so its value and its error are today's, byte
 * for byte: the first bad line throws the InputError lineRow throws for it.
 */
import { FEATURES } from "../core/features.js";
import { InputError } from "../core/input.js";
import { MAX_LINE_BYTES } from "../core/lines.js";
import { csvRow, jsonRow } from "../core/row-bytes.js";
import { CSV_TYPE, isCsvHeaderLine, type JSONLINES_TYPE, lineRow } from "./invocations.js";

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const FEATURE_COUNT = FEATURES.length;
/** CSV columns in feature order: the only order a header may give (isCsvHeaderLine). */
const IN_ORDER = FEATURES.map((_, k) => k);

export type LineType = typeof CSV_TYPE | typeof JSONLINES_TYPE;

/** Newlines in `bytes[start, end)`, and one more for a last line without one: at most that many rows. */
function lineCount(bytes: Uint8Array, start: number, end: number): number {
  let lines = 1;
  for (let i = start; i < end; i++) if (bytes[i] === NEWLINE) lines++;
  return lines;
}

export class InvocationLines {
  /** At most this many rows come (a bound to size the answer by, as RowSource's). */
  readonly rows: number;
  private at: number;
  /** The index (from 0) of the next line: its message says `line index + 1`. */
  private index = 0;
  private readonly end: number;
  private readonly csv: boolean;

  /** `bytes` is a body already checked to be UTF-8 (serving/utf8-body.ts). */
  constructor(
    private readonly type: LineType,
    private readonly bytes: Buffer,
  ) {
    this.end = bytes.length;
    this.csv = type === CSV_TYPE;
    // TextDecoder drops one byte-order mark at the start: the text the per-line path read
    this.at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    if (this.at >= this.end) throw new InputError("", "no rows: send at least one line");
    if (this.csv) {
      // a header first answers nothing: the rows start after it, and are numbered from line 2
      const newline = bytes.indexOf(NEWLINE, this.at);
      const stop = newline < 0 ? this.end : newline;
      const first = bytes.toString("utf8", this.at, stop).replace(/\r$/, "");
      if (isCsvHeaderLine(first)) {
        this.at = newline < 0 ? this.end : newline + 1;
        this.index = 1;
      }
    }
    this.rows = lineCount(bytes, this.at, this.end);
  }

  /** Whether every line has been read. */
  get done(): boolean {
    return this.at >= this.end;
  }

  /**
   * Reads up to `max` more rows into `values` (from 0, FEATURES.length numbers a row); returns
   * how many. Throws the InputError of the first bad line.
   */
  read(values: Float64Array, max: number): number {
    const { bytes, end, csv } = this;
    let count = 0;
    let at = this.at;
    while (count < max && at < end) {
      // a loop, not indexOf: a call into Buffer's native code costs more than a line's bytes
      let stop = at;
      while (stop < end && bytes[stop] !== NEWLINE) stop++;
      const terminated = stop < end;
      // a CR before the newline is not the line's (an unterminated last line keeps it, as before)
      const lineEnd = terminated && stop > at && bytes[stop - 1] === RETURN ? stop - 1 : stop;
      const into = count * FEATURE_COUNT;
      const fast =
        lineEnd - at <= MAX_LINE_BYTES &&
        (terminated || lineEnd === at || bytes[lineEnd - 1] !== RETURN) &&
        (csv
          ? csvRow(bytes, at, lineEnd, IN_ORDER, values, into)
          : jsonRow(bytes, at, lineEnd, values, into));
      if (!fast) {
        const row = lineRow(this.type, bytes.toString("utf8", at, lineEnd), this.index);
        for (let k = 0; k < FEATURE_COUNT; k++) values[into + k] = row[k] as number;
      }
      this.index++;
      count++;
      at = stop + 1;
    }
    this.at = at;
    return count;
  }
}
