/**
 * One captured request as a log line (issue #11): what every front door writes when a request
 * is sampled, and what monitoring/capture-read.ts reads back. A line is one JSON object,
 *   {"level":"INFO","message":"capture",...,"capture":{"time":…,"door":…,"model_version":…,
 *    "event_id":…,"rows":[{"features":[…4],"species":…,"probabilities":{…},"is_iris":…}]}}
 * on the Lambda through the Powertools logger (so a CloudWatch Logs subscription with the
 * pattern `{ $.message = "capture" }` carries it to Firehose), in the container on standard
 * output, and on the local server in files. A batch is one line holding its rows: the fields
 * its rows share are written once. Only the measurements and the answer: never an address, a
 * header or anything else about the caller.
 */
import type { Prediction } from "../core/predictor.js";
import type { CaptureRecord, Door } from "./types.js";

/** The `message` of a capture log line. */
export const CAPTURE_MESSAGE = "capture";

/** The share of requests captured when CAPTURE_SAMPLE is not set. */
export const DEFAULT_CAPTURE_SAMPLE = 0.1;

/**
 * Rows kept of one request: a CloudWatch log event is at most 256 KB (a longer one is cut, and
 * its JSON lost), and a row is 120–160 bytes. The rest of a larger batch is not captured; the
 * entry says how many rows the request had (`rows_total`).
 */
export const CAPTURE_MAX_ROWS = 1000;

/**
 * The structured-log payload of one request's rows: `{ capture: … }`. The rows of one request
 * share their time, door, model version and event id, written once (the first row's); records
 * of different requests make one entry each. `rowsTotal`: the rows the request had.
 */
export function captureEntry(
  rows: CaptureRecord[],
  rowsTotal = rows.length,
): Record<string, unknown> {
  const first = rows[0];
  const kept = rows.slice(0, CAPTURE_MAX_ROWS);
  return {
    capture: {
      time: first?.time ?? new Date().toISOString(),
      door: first?.door,
      model_version: first?.model_version,
      ...(first?.event_id === undefined ? {} : { event_id: first.event_id }),
      rows: kept.map(({ features, species, probabilities, is_iris }) => ({
        features,
        species,
        probabilities,
        is_iris,
      })),
      ...(rowsTotal > kept.length ? { rows_total: rowsTotal } : {}),
    },
  };
}

/** What a door knows of one answered request, as capture records. */
export function captureRecords(request: {
  door: Door;
  modelVersion: string;
  rows: readonly ArrayLike<number>[];
  predictions: readonly Prediction[];
  time?: Date;
  eventId?: string;
}): CaptureRecord[] {
  const time = (request.time ?? new Date()).toISOString();
  const count = Math.min(request.rows.length, request.predictions.length, CAPTURE_MAX_ROWS);
  const records: CaptureRecord[] = [];
  for (let i = 0; i < count; i++) {
    const row = request.rows[i] as ArrayLike<number>;
    const { species, probabilities, is_iris } = request.predictions[i] as Prediction;
    records.push({
      time,
      door: request.door,
      model_version: request.modelVersion,
      features: [row[0], row[1], row[2], row[3]] as [number, number, number, number],
      species,
      probabilities,
      is_iris,
      ...(request.eventId === undefined ? {} : { event_id: request.eventId }),
    });
  }
  return records;
}

const sampleProblem = (rate: unknown) =>
  `a capture sample is the share of requests captured, a number from 0 (off) to 1 (every request), e.g. 0.1 for 10%; got ${JSON.stringify(rate)}`;

/** Decides, once per request, whether it is captured: true for about `rate` of the calls. */
export function createCaptureSampler(
  rate: number,
  random: () => number = Math.random,
): () => boolean {
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new Error(sampleProblem(rate));
  if (rate === 0) return () => false;
  if (rate === 1) return () => true;
  return () => random() < rate;
}

/**
 * CAPTURE_SAMPLE: the share of requests captured, 0 to 1 (default 0.1; 0 turns capture off).
 * Anything else throws, so that a door refuses to start rather than capture what was not meant.
 */
export function captureRateFromEnv(env: NodeJS.ProcessEnv): number {
  const text = env.CAPTURE_SAMPLE;
  if (text === undefined || text.trim() === "") return DEFAULT_CAPTURE_SAMPLE;
  const rate = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`CAPTURE_SAMPLE: ${sampleProblem(text)}`);
  return rate;
}

/** The JSON line of one entry, as the container prints it and the server writes it. */
export function captureLine(entry: Record<string, unknown>, now = new Date()): string {
  return JSON.stringify({
    level: "INFO",
    message: CAPTURE_MESSAGE,
    timestamp: now.toISOString(),
    ...entry,
  });
}
