/**
 * SageMaker's `POST /invocations`: the body in the caller's ContentType, the answer in its
 * Accept, as AWS's own scikit-learn container does. Line-based forms (CSV, JSON lines) answer
 * exactly one line per input line, in order, so batch transform can join input and output.
 */
import { parse as parseContentType } from "content-type";
import Negotiator from "negotiator";
import { csvHeader, csvRecordToRow, isCsvNumber, splitCsvLine } from "../core/csv.js";
import { FEATURES } from "../core/features.js";
import { InputError, isBatch, parseRow } from "../core/input.js";
import { parseJsonLine } from "../core/lines.js";
import type { Prediction } from "../core/predictor.js";
import { HttpError, parseJsonBody } from "./errors.js";
import { rowsFromJson } from "./predict-api.js";
import { predictionJson, predictionsJson } from "./prediction-json.js";

export const JSON_TYPE = "application/json";
export const CSV_TYPE = "text/csv";
export const JSONLINES_TYPE = "application/jsonlines";
/** What we read and write; JSON first, as the default for a missing Accept or `*\/*`. */
export const MEDIA_TYPES = [JSON_TYPE, CSV_TYPE, JSONLINES_TYPE] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

const isMediaType = (text: string): text is MediaType =>
  text === JSON_TYPE || text === CSV_TYPE || text === JSONLINES_TYPE;

/** The media type of a Content-Type header, or 415. A missing one is read as JSON. */
export function requestType(header: string | undefined): MediaType {
  if (header === undefined) return JSON_TYPE;
  // the usual headers, without parsing (0.1 µs a request)
  if (isMediaType(header)) return header;
  if (header.trim() === "") return JSON_TYPE;
  // content-type 2 parses anything (a header that is no media type gives a type that is none)
  const { type } = parseContentType(header);
  // application/jsonl and application/x-jsonlines are seen in the wild for the same thing
  if (type === "application/jsonl" || type === "application/x-jsonlines") return JSONLINES_TYPE;
  if ((MEDIA_TYPES as readonly string[]).includes(type)) return type as MediaType;
  throw unsupported(header);
}

function unsupported(header: string): HttpError {
  return new HttpError(
    415,
    "unsupported_media_type",
    `Content-Type ${JSON.stringify(header)} is not supported; send one of ${MEDIA_TYPES.join(", ")}`,
  );
}

/** The media type to answer in, or 406. */
export function responseType(accept: string | undefined): MediaType {
  if (accept === undefined) return JSON_TYPE;
  // the usual headers, without negotiating (1.3 µs a request)
  if (isMediaType(accept)) return accept;
  if (accept === "*/*" || accept.trim() === "") return JSON_TYPE;
  const chosen = new Negotiator({ headers: { accept } }).mediaType([...MEDIA_TYPES]);
  if (!chosen) {
    throw new HttpError(
      406,
      "not_acceptable",
      `cannot answer in ${JSON.stringify(accept)}; accept one of ${MEDIA_TYPES.join(", ")}`,
    );
  }
  return chosen as MediaType;
}

/**
 * The row of line `index` (from 0) of a CSV or JSON-lines body, errors naming the line: pure, so a
 * caller may read a large body a slice of lines at a time.
 */
export function lineRow(
  type: typeof CSV_TYPE | typeof JSONLINES_TYPE,
  line: string,
  index: number,
): number[] {
  const path = `line ${index + 1}`;
  const read = type === CSV_TYPE ? (l: string) => csvRecordToRow(splitCsvLine(l)) : parseJsonLine;
  if (line.trim() === "") throw new InputError(path, "is empty; every line must hold one row");
  try {
    return read(line);
  } catch (error) {
    if (error instanceof InputError)
      throw new InputError(error.path ? `${path}, ${error.path}` : path, error.problem);
    /* c8 ignore next -- the readers throw only InputError; anything else is a bug, kept a 500 */
    throw error;
  }
}

/**
 * The rows of an /invocations body, one at a time in order: `next()` reads the next row
 * (throwing what parseInvocation would for it), undefined after the last, so that a caller can
 * read a large body in slices without first splitting it whole. `rows` is known before: at
 * most that many rows come, so that a caller can size what it keeps per row up front.
 */
export interface RowSource {
  readonly rows: number;
  next(): number[] | undefined;
}

function rowsOf(rows: readonly number[][]): RowSource {
  let i = 0;
  return { rows: rows.length, next: () => rows[i++] };
}

/** How many lines `text` may hold: its newlines, and one more for a last line without one. */
function lineCount(text: string): number {
  let lines = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}

/**
 * Whether the first line of a CSV body is a header, which answers no line. Batch Transform
 * (SplitType Line) sends a file's header only in the object's first mini-batch, and joins the
 * answers with AssembleWith Line: answering nothing for it keeps output line n the answer to
 * data row n, in every mini-batch. It must name the four features in the default order: the
 * mini-batches after the first carry no header, so another order could not apply to them and
 * their rows would be read in a different order than the first's (docs/batch.md). A line with
 * a number or an empty field is data, read (and refused) as any row.
 */
export function isCsvHeaderLine(line: string): boolean {
  const fields = splitCsvLine(line, "line 1");
  if (fields.length === 0 || fields.some((f) => f === "" || isCsvNumber(f))) return false;
  let order: number[] | undefined;
  try {
    order = csvHeader(fields);
  } catch (error) {
    throw new InputError("line 1", (error as InputError).problem);
  }
  if (order?.some((column, k) => column !== k)) {
    throw new InputError(
      "line 1",
      `a header must name the columns in the order ${FEATURES.join(", ")}, got ${fields.join(", ")}: batch transform sends the header with the first mini-batch only, so the rows after it are read in that order`,
    );
  }
  return true;
}

/** The lines of a body (one trailing newline is not a line), found one by one. */
function lineSource(text: string, type: typeof CSV_TYPE | typeof JSONLINES_TYPE): RowSource {
  if (text === "") throw new InputError("", "no rows: send at least one line");
  let at = 0;
  let index = 0;
  if (type === CSV_TYPE) {
    // a header first answers nothing: the rows start after it, and are numbered from line 2
    const end = text.indexOf("\n");
    if (isCsvHeaderLine(text.slice(0, end < 0 ? text.length : end).replace(/\r$/, ""))) {
      at = end < 0 ? text.length : end + 1;
      index = 1;
    }
  }
  return {
    rows: lineCount(text),
    next() {
      if (at >= text.length) return undefined;
      let end = text.indexOf("\n", at);
      let line: string;
      if (end < 0) {
        line = text.slice(at);
        end = text.length;
      } else line = text.slice(at, end > at && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
      at = end + 1;
      return lineRow(type, line, index++);
    },
  };
}

function itemSource(items: readonly unknown[], path: string): RowSource {
  let i = 0;
  return {
    rows: items.length,
    next: () => (i < items.length ? parseRow(items[i], `${path}[${i++}]`) : undefined),
  };
}

/** What rowsFromJson reads, a batch a row at a time; anything else (one row, an error) whole. */
function jsonSource(value: unknown): RowSource {
  if (isBatch(value)) return itemSource(value, "");
  const instances = (value as { instances?: unknown } | null)?.instances;
  if (
    typeof value === "object" &&
    value !== null &&
    Object.keys(value as object).length === 1 &&
    Array.isArray(instances) &&
    instances.length > 0
  )
    return itemSource(instances, "instances");
  // as /predict reads it; the 6 MiB body limit bounds the rows here
  return rowsOf(rowsFromJson(value, Number.POSITIVE_INFINITY).rows);
}

/** The rows of an /invocations body, to read one by one. */
export function rowSource(type: MediaType, text: string): RowSource {
  switch (type) {
    case JSON_TYPE:
      return jsonSource(parseJsonBody(text));
    case CSV_TYPE:
    case JSONLINES_TYPE:
      return lineSource(text, type);
  }
}

/** The rows of an /invocations body. */
export function parseInvocation(type: MediaType, text: string): number[][] {
  const source = rowSource(type, text);
  const rows: number[][] = [];
  for (let row = source.next(); row !== undefined; row = source.next()) rows.push(row);
  return rows;
}

/**
 * An /invocations answer written item by item: `head`, then `item` of each prediction in order
 * with `separator` between them, then `tail`, is what formatInvocation writes.
 */
export interface InvocationFormatter {
  head: string;
  item(prediction: Prediction): string;
  separator: string;
  tail: string;
}

export function invocationFormatter(type: MediaType, modelVersion: string): InvocationFormatter {
  switch (type) {
    case JSON_TYPE: {
      // predictionsJson's text, split around its items
      const empty = predictionsJson([], modelVersion);
      const at = empty.indexOf("[]") + 1;
      return {
        head: empty.slice(0, at),
        item: predictionJson,
        separator: ",",
        tail: empty.slice(at),
      };
    }
    case CSV_TYPE:
      return { head: "", item: (p) => `${p.species}\n`, separator: "", tail: "" };
    case JSONLINES_TYPE:
      return { head: "", item: (p) => `${predictionJson(p)}\n`, separator: "", tail: "" };
  }
}

/** The body of an /invocations answer. */
export function formatInvocation(
  type: MediaType,
  predictions: readonly Prediction[],
  modelVersion: string,
): string {
  const { head, item, separator, tail } = invocationFormatter(type, modelVersion);
  return `${head}${predictions.map(item).join(separator)}${tail}`;
}
