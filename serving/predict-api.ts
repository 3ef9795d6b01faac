/**
 * The `POST /predict` contract, shared by the Lambda handler and the local server:
 * a measurement object (or a 4-number array) answers one prediction; `{"instances": [...]}`
 * (or a bare array of rows) answers `{"predictions": [...]}`; both carry `model_version`.
 */
import { isBatch, parseBatch, parseRows } from "../core/input.js";
import type { Prediction, Predictor } from "../core/predictor.js";
import { HttpError, parseJsonBody } from "./errors.js";
import { API_MAX_BODY_BYTES, API_MAX_INSTANCES } from "./limits.js";

export type PredictResponse =
  | (Prediction & { model_version: string })
  | { predictions: Prediction[]; model_version: string };

function hasInstances(value: unknown): value is { instances: unknown } {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && "instances" in value
  );
}

export function checkBodySize(bytes: number, limit = API_MAX_BODY_BYTES): void {
  if (bytes > limit) {
    throw new HttpError(
      413,
      "payload_too_large",
      `the body is ${bytes} bytes; the limit is ${limit} (send fewer instances per request)`,
    );
  }
}

/**
 * The rows of a JSON request body: `{"instances": [...]}` (a batch, nothing else beside it), a
 * bare array of rows (a batch), or one row. Shared by /predict and /invocations, so both read
 * JSON alike.
 */
export function rowsFromJson(
  value: unknown,
  maxInstances = API_MAX_INSTANCES,
): { rows: number[][]; batch: boolean } {
  if (hasInstances(value)) {
    const extra = Object.keys(value).filter((key) => key !== "instances");
    if (extra.length > 0) {
      throw new HttpError(
        400,
        "bad_input",
        `unknown field ${JSON.stringify(extra[0])} beside "instances"; a batch is {"instances": [...]} and nothing else`,
      );
    }
    if (Array.isArray(value.instances) && value.instances.length > maxInstances) {
      throw tooMany(`"instances" holds ${count(value.instances.length)} rows`, maxInstances);
    }
    return { rows: parseBatch(value.instances, "instances"), batch: true };
  }
  if (Array.isArray(value) && value.length > maxInstances) {
    const items = isBatch(value) ? "rows" : "items (not rows: the first is not an array or object)";
    throw tooMany(
      `the body is a bare list of ${count(value.length)} ${items}, read as ${count(value.length)} instances`,
      maxInstances,
    );
  }
  return parseRows(value);
}

export function predictFromBody(predictor: Predictor, text: string): PredictResponse {
  return predictRowsFromBody(predictor, text).response;
}

/** predictFromBody's answer, with the rows it read and their predictions (for capture). */
export function predictRowsFromBody(
  predictor: Predictor,
  text: string,
): { response: PredictResponse; rows: number[][]; predictions: Prediction[] } {
  checkBodySize(Buffer.byteLength(text));
  const { rows, batch } = rowsFromJson(parseJsonBody(text));
  const model_version = predictor.modelVersion;
  if (batch) {
    const predictions = predictor.predictBatch(rows);
    return { response: { predictions, model_version }, rows, predictions };
  }
  const prediction = predictor.predict(rows[0] as number[]);
  return { response: { ...prediction, model_version }, rows, predictions: [prediction] };
}

const count = (n: number) => n.toLocaleString("en");

function tooMany(received: string, limit: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `${received}; the limit is ${count(limit)} instances per request. One flower is an array of 4 numbers or a measurement object; a batch is an array of such rows, or {"instances": [...]}: send at most ${count(limit)} per request`,
  );
}
