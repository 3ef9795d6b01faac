/**
 * The records in one capture object's bytes, whatever wrote it (monitoring/capture-read.ts walks
 * the objects): our capture lines (bare, or Powertools log lines with the message "capture"),
 * CloudWatch Logs subscription records as Firehose delivers them (gzip members and wrappers
 * `{messageType, logEvents: [{message}]}` one after another, with or without newlines), and
 * SageMaker's DataCapture lines (captureData.endpointInput / endpointOutput), a batch split
 * into its rows. Anything else is skipped with a reason, never thrown.
 */
import { gunzipSync } from "node:zlib";
import * as z from "zod/mini";
import type { Prediction } from "../core/predictor.js";
import {
  CSV_TYPE,
  JSON_TYPE,
  JSONLINES_TYPE,
  type MediaType,
  parseInvocation,
  requestType,
} from "../serving/invocations.js";
import { CAPTURE_MESSAGE } from "./capture-line.js";
import type { CaptureRecord, Door } from "./types.js";

/** Bytes an object may unzip to: a capture object is far smaller; this bounds a zip bomb. */
export const MAX_OBJECT_TEXT_BYTES = 256 * 1024 * 1024;

export interface ParseContext {
  /** Where the object is (a path or s3:// URI), for skip reasons. */
  where: string;
  /** A model version found in the object's path (16 hex digits), for answers that carry none. */
  pathVersion?: string | undefined;
  skip(reason: string): void;
  /** A CloudWatch Logs CONTROL_MESSAGE (its check that the destination is reachable). */
  control(): void;
  /** A record whose answer carried no probabilities or is_iris (a CSV answer). */
  partial(): void;
}

const DOORS = ["lambda", "sagemaker", "server", "cli"] as const satisfies readonly Door[];
const finite = z.number().check(z.refine(Number.isFinite));
const answerSchema = z.object({
  species: z.string(),
  probabilities: z.record(z.string(), finite),
  is_iris: z.boolean(),
});
const rowSchema = z.object({
  ...answerSchema.shape,
  features: z.tuple([finite, finite, finite, finite]),
});
const entrySchema = z.object({
  time: z.string().check(z.refine((t) => !Number.isNaN(Date.parse(t)))),
  door: z.enum(DOORS),
  model_version: z.string(),
  event_id: z.optional(z.string()),
  rows: z.array(z.unknown()),
});
const payloadSchema = z.object({
  observedContentType: z.optional(z.string()),
  data: z.string(),
  encoding: z.string(),
});
const dataCaptureSchema = z.object({
  captureData: z.object({
    endpointInput: z.optional(payloadSchema),
    endpointOutput: z.optional(payloadSchema),
  }),
  eventMetadata: z.object({
    eventId: z.optional(z.string()),
    inferenceTime: z.string().check(z.refine((t) => !Number.isNaN(Date.parse(t)))),
  }),
});

/** The text of an object: unzipped (gzip found by its magic bytes, twice at most) and decoded. */
export function objectText(bytes: Uint8Array): string {
  let data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 2 && data[0] === 0x1f && data[1] === 0x8b; i++)
    data = gunzipSync(data, { maxOutputLength: MAX_OBJECT_TEXT_BYTES });
  return data.toString("utf8");
}

/**
 * The JSON objects of one line, which may hold several back to back (`{…}{…}`, as Firehose
 * joins records); undefined for a part that is not one, after which the line is given up.
 */
export function* jsonObjectsOf(line: string): Generator<string | undefined> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
    } else if (c === 34 && depth > 0) inString = true;
    else if (c === 123) {
      if (depth++ === 0) start = i;
    } else if (c === 125 && depth > 0) {
      if (--depth === 0) yield line.slice(start, i + 1);
    } else if (depth === 0 && c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) {
      yield undefined;
      return;
    }
  }
  if (depth > 0) yield undefined;
}

/** Every record in an object's text. */
export function* recordsOfText(text: string, context: ParseContext): Generator<CaptureRecord> {
  // one line at a time: split("\n") would hold a slot per line, and a small gzip object can
  // unzip to a hundred million empty lines (a fatal out-of-memory, not an error to catch)
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) yield* recordsOfLine(text.slice(start, end), context, true);
    start = end + 1;
  }
}

function* recordsOfLine(
  line: string,
  context: ParseContext,
  wrapped: boolean,
): Generator<CaptureRecord> {
  for (const json of jsonObjectsOf(line)) {
    if (json === undefined) {
      context.skip("not a JSON object");
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      context.skip("not valid JSON");
      continue;
    }
    yield* recordsOfValue(value as Record<string, unknown>, context, wrapped);
  }
}

function* recordsOfValue(
  value: Record<string, unknown>,
  context: ParseContext,
  wrapped: boolean,
): Generator<CaptureRecord> {
  if (wrapped && "messageType" in value) {
    if (value.messageType === "CONTROL_MESSAGE") {
      context.control();
      return;
    }
    const events = value.logEvents;
    if (value.messageType !== "DATA_MESSAGE" || !Array.isArray(events)) {
      context.skip("a CloudWatch Logs record that is not a DATA_MESSAGE with logEvents");
      return;
    }
    for (const event of events as { message?: unknown }[]) {
      const message = event?.message;
      if (typeof message !== "string") {
        context.skip("a log event without a message");
        continue;
      }
      // a line the runtime prefixed (time, request id, level) holds the JSON after them
      const brace = message.indexOf("{");
      if (brace < 0) context.skip("a log event that is not a JSON line");
      else yield* recordsOfLine(message.slice(brace), context, false);
    }
    return;
  }
  if ("captureData" in value) {
    yield* dataCaptureRecords(value, context);
    return;
  }
  if (!("capture" in value) || ("message" in value && value.message !== CAPTURE_MESSAGE)) {
    context.skip("not a capture line");
    return;
  }
  yield* entryRecords(value.capture, context);
}

function* entryRecords(capture: unknown, context: ParseContext): Generator<CaptureRecord> {
  const entry = entrySchema.safeParse(capture);
  if (!entry.success) {
    context.skip("a capture line without time, door, model_version and rows");
    return;
  }
  const { time, door, model_version, event_id, rows } = entry.data;
  for (const item of rows) {
    const row = rowSchema.safeParse(item);
    if (!row.success) {
      context.skip("a captured row without four measurements and an answer");
      continue;
    }
    yield {
      time: new Date(time).toISOString(),
      door,
      model_version,
      ...row.data,
      ...(event_id === undefined ? {} : { event_id }),
    };
  }
}

type Payload = z.infer<typeof payloadSchema>;

/** A payload's text and media type, or a reason it has none. */
function decoded(payload: Payload): { text: string; type: MediaType } | string {
  const encoding = payload.encoding.toUpperCase();
  const text =
    encoding === "BASE64"
      ? Buffer.from(payload.data, "base64").toString("utf8")
      : encoding === "CSV" || encoding === "JSON"
        ? payload.data
        : undefined;
  if (text === undefined) return `an unknown encoding ${JSON.stringify(payload.encoding)}`;
  try {
    return { text, type: requestType(payload.observedContentType) };
  } catch {
    if (encoding === "CSV") return { text, type: CSV_TYPE };
    if (encoding === "JSON") return { text, type: JSON_TYPE };
    return `a content type we do not answer: ${JSON.stringify(payload.observedContentType)}`;
  }
}

/** The answers of an /invocations output, and its model version when it says one. */
function answersOf(
  text: string,
  type: MediaType,
): { answers: (Prediction | string)[]; version?: string } {
  if (type === JSON_TYPE) {
    const value = JSON.parse(text) as { predictions?: unknown; model_version?: unknown };
    const items = Array.isArray(value?.predictions) ? value.predictions : [value];
    const version = typeof value?.model_version === "string" ? value.model_version : undefined;
    return { answers: items.map(answerOf), ...(version === undefined ? {} : { version }) };
  }
  const lines = text
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "");
  if (type === JSONLINES_TYPE) return { answers: lines.map((l) => answerOf(JSON.parse(l))) };
  // a CSV answer is the species alone
  return { answers: lines.map((l) => l.split(",")[0]?.trim() ?? "") };
}

function answerOf(value: unknown): Prediction {
  const answer = answerSchema.safeParse(value);
  if (!answer.success) throw new Error("an answer without species, probabilities and is_iris");
  return answer.data;
}

function* dataCaptureRecords(value: unknown, context: ParseContext): Generator<CaptureRecord> {
  const line = dataCaptureSchema.safeParse(value);
  if (!line.success) {
    context.skip("a SageMaker capture line without captureData and eventMetadata.inferenceTime");
    return;
  }
  const { endpointInput, endpointOutput } = line.data.captureData;
  const { eventId, inferenceTime } = line.data.eventMetadata;
  if (endpointInput === undefined || endpointOutput === undefined) {
    context.skip("a SageMaker capture line without both its input and its output");
    return;
  }
  const input = decoded(endpointInput);
  const output = decoded(endpointOutput);
  if (typeof input === "string" || typeof output === "string") {
    context.skip(`a SageMaker capture line with ${typeof input === "string" ? input : output}`);
    return;
  }
  let rows: number[][];
  let answers: (Prediction | string)[];
  let version: string | undefined;
  try {
    rows = parseInvocation(input.type, input.text);
    ({ answers, version } = answersOf(output.text, output.type));
  } catch (error) {
    context.skip(`a SageMaker capture line that does not read: ${(error as Error).message}`);
    return;
  }
  if (rows.length !== answers.length) {
    context.skip(`a SageMaker capture line with ${rows.length} rows and ${answers.length} answers`);
    return;
  }
  const time = new Date(inferenceTime).toISOString();
  const model_version = version ?? context.pathVersion ?? "unknown";
  for (let i = 0; i < rows.length; i++) {
    const answer = answers[i] as Prediction | string;
    if (typeof answer === "string") context.partial();
    const row = rows[i] as number[];
    yield {
      time,
      door: "sagemaker",
      model_version,
      features: [row[0], row[1], row[2], row[3]] as [number, number, number, number],
      ...(typeof answer === "string"
        ? { species: answer, probabilities: {}, is_iris: true }
        : answer),
      ...(eventId === undefined ? {} : { event_id: eventId }),
    };
  }
}
