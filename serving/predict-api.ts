/**
 * The `POST /predict` contract, shared by the Lambda handler and the local server:
 * a measurement object (or a 4-number array) answers one prediction; `{"instances": [...]}`
 * (or a bare array of rows) answers `{"predictions": [...]}`; both carry `model_version`.
 */
import { parseBatch, parseRows } from "../core/input.js";
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

export function predictFromBody(predictor: Predictor, text: string): PredictResponse {
  checkBodySize(Buffer.byteLength(text));
  const value = parseJsonBody(text);
  let rows: number[][];
  let batch: boolean;
  if (hasInstances(value)) {
    const extra = Object.keys(value).filter((key) => key !== "instances");
    if (extra.length > 0)
      throw new HttpError(
        400,
        "bad_input",
        `unknown field ${JSON.stringify(extra[0])} beside "instances"`,
      );
    if (Array.isArray(value.instances) && value.instances.length > API_MAX_INSTANCES)
      throw tooMany(value.instances.length);
    rows = parseBatch(value.instances, "instances");
    batch = true;
  } else {
    if (Array.isArray(value) && value.length > API_MAX_INSTANCES) throw tooMany(value.length);
    ({ rows, batch } = parseRows(value));
  }
  const model_version = predictor.modelVersion;
  if (batch) return { predictions: predictor.predictBatch(rows), model_version };
  return { ...predictor.predict(rows[0] as number[]), model_version };
}

function tooMany(count: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `${count} instances; the limit is ${API_MAX_INSTANCES} per request`,
  );
}
