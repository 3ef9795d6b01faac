/**
 * SageMaker's `POST /invocations`: the body in the caller's ContentType, the answer in its
 * Accept, as AWS's own scikit-learn container does. Line-based forms (CSV, JSON lines) answer
 * exactly one line per input line, in order, so batch transform can join input and output.
 */
import { parse as parseContentType } from "content-type";
import Negotiator from "negotiator";
import { csvRecordToRow, splitCsvLine } from "../core/csv.js";
import { InputError } from "../core/input.js";
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
  let type: string;
  try {
    type = parseContentType(header).type;
  } catch {
    throw unsupported(header);
  }
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

/** Lines of a line-based body; one trailing newline is not a line. */
export function bodyLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new InputError("", "no rows: send at least one line");
  return lines;
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
    throw error;
  }
}

/** The rows of an /invocations body. */
export function parseInvocation(type: MediaType, text: string): number[][] {
  switch (type) {
    case JSON_TYPE:
      // as /predict reads it; the 6 MiB body limit bounds the rows here
      return rowsFromJson(parseJsonBody(text), Number.POSITIVE_INFINITY).rows;
    case CSV_TYPE:
    case JSONLINES_TYPE:
      return bodyLines(text).map((line, i) => lineRow(type, line, i));
  }
}

/** The body of an /invocations answer. */
export function formatInvocation(
  type: MediaType,
  predictions: readonly Prediction[],
  modelVersion: string,
): string {
  switch (type) {
    case JSON_TYPE:
      return predictionsJson(predictions, modelVersion);
    case CSV_TYPE:
      return `${predictions.map((p) => p.species).join("\n")}\n`;
    case JSONLINES_TYPE:
      return `${predictions.map(predictionJson).join("\n")}\n`;
  }
}
