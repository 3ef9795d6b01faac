/**
 * The JSON Schemas of the OpenAPI document (serving/openapi.ts), made with `z.toJSONSchema` from
 * zod schemas: the rows are the very schemas the edge parses with (core/input.ts), the batches
 * and answers are written here in zod beside them, bounded by serving/limits.ts.
 */
import * as z from "zod/mini";
import { FEATURES } from "../core/features.js";
import { rowArray, rowObject } from "../core/input.js";
import { ERROR_STATUS } from "./errors.js";
import { API_MAX_INSTANCES, INVOCATIONS_MAX_PAYLOAD_MB } from "./limits.js";

type JsonSchema = Record<string, unknown>;

const row = z.union([rowObject, rowArray]);
const rows = z.array(row).check(z.minLength(1), z.maxLength(API_MAX_INSTANCES));
/** /invocations reads any number of rows, bounded by its body limit only. */
const anyRows = z.array(row).check(z.minLength(1));
const modelVersion = z.string().check(z.regex(/^[0-9a-f]{16}$/));
const prediction = z.strictObject({
  species: z.string(),
  probabilities: z.record(z.string(), z.number().check(z.gte(0), z.lte(1))),
  is_iris: z.boolean(),
});

/** Each schema by its name in `components.schemas`, with what it means. */
const SCHEMAS = {
  RowObject: [rowObject, `One flower: its four measurements in centimetres, each > 0.`],
  RowArray: [rowArray, `One flower as 4 numbers in the order ${FEATURES.join(", ")}.`],
  Batch: [
    z.strictObject({ instances: rows }),
    `A batch: 1 to ${API_MAX_INSTANCES} rows under "instances", and nothing beside them.`,
  ],
  Rows: [rows, `A batch as a bare array of 1 to ${API_MAX_INSTANCES} rows.`],
  InvocationsBatch: [
    z.strictObject({ instances: anyRows }),
    `A batch under "instances", as many rows as the body limit holds.`,
  ],
  InvocationsRows: [anyRows, "A batch as a bare array of rows."],
  Prediction: [prediction, "One flower's prediction: the forest's vote and each class's share."],
  PredictionAnswer: [
    z.strictObject({ ...prediction.shape, model_version: modelVersion }),
    "The answer to one flower.",
  ],
  PredictionsAnswer: [
    z.strictObject({ predictions: z.array(prediction), model_version: modelVersion }),
    "The answer to a batch: one prediction per row, in order.",
  ],
  Health: [
    z.strictObject({
      status: z.literal("ok"),
      model_version: modelVersion,
      verified_by: z.optional(z.string()),
    }),
    "The model that answers and what vouched for it when it was loaded.",
  ],
  ExecutionParameters: [
    z.strictObject({
      MaxConcurrentTransforms: z.int().check(z.gte(1)),
      BatchStrategy: z.literal("MULTI_RECORD"),
      MaxPayloadInMB: z.literal(INVOCATIONS_MAX_PAYLOAD_MB),
    }),
    "What SageMaker batch transform may send at once.",
  ],
  Error: [
    z.strictObject({
      error: z.strictObject({
        code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
        message: z.string(),
      }),
    }),
    "The one error shape of every front door: a code to branch on, a message saying what to fix.",
  ],
  GatewayMessage: [
    z.object({ message: z.string() }),
    "API Gateway's own refusal on the Lambda door, before the function runs (e.g. Unauthorized, Forbidden, Too Many Requests).",
  ],
} as const satisfies Record<string, readonly [z.core.$ZodType, string]>;

export type SchemaName = keyof typeof SCHEMAS;

/** `components.schemas`: each schema in JSON Schema 2020-12, as OpenAPI 3.1 takes it. */
export function componentSchemas(): Record<SchemaName, JsonSchema> {
  const entries = Object.entries(SCHEMAS).map(([name, [schema, description]]) => {
    const { $schema: _, ...json } = z.toJSONSchema(schema, { target: "draft-2020-12" });
    return [name, { description, ...json }];
  });
  return Object.fromEntries(entries) as Record<SchemaName, JsonSchema>;
}

export const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
