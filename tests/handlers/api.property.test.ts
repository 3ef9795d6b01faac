/**
 * The Lambda handler under 10,000 generated API Gateway events (both payload formats): arbitrary
 * JSON, near-miss measurements, odd number literals, random bytes as base64 bodies, deep nesting,
 * odd content types, random methods, paths and header cases. Every answer is a 2xx or a 4xx with
 * the JSON error shape; never a 5xx, a throw or a hang.
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import fc from "fast-check";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import { API_MAX_BODY_BYTES, API_MAX_INSTANCES } from "../../serving/limits.js";
import { discardOutput } from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { apiEvent, lambdaContext, type RequestSpec } from "../helpers/events.js";
import { trainedModel } from "../helpers/model.js";
import {
  accept,
  contentType,
  headerText,
  method,
  textBody,
} from "../helpers/request-arbitraries.js";

const ORIGIN = "https://app.example";

const path = fc.oneof(
  { arbitrary: fc.constantFrom("/predict", "/health"), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      "/",
      "",
      "/predict/",
      "/PREDICT",
      "/predict/x",
      "//predict",
      "/health/",
      "/ping",
      "/invocations",
      "/prod/predict",
      "/%zz",
      "/predict?x=1",
    ),
    weight: 2,
  },
  { arbitrary: fc.webPath(), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }).map((s) => `/${s}`), weight: 1 },
);

/** Header names as clients write them: any case. */
const cased = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

const headers = fc
  .tuple(
    fc.option(fc.tuple(cased("content-type"), contentType)),
    fc.option(fc.tuple(cased("accept"), accept)),
    fc.option(fc.tuple(cased("origin"), fc.constantFrom(ORIGIN, "https://evil.example", "null"))),
    fc.array(
      fc.tuple(fc.constantFrom("x-forwarded-for", "user-agent", "X-Amzn-Trace-Id"), headerText),
      {
        maxLength: 2,
      },
    ),
  )
  .map(([ct, acc, origin, others]) => {
    const pairs: [string, string][] = [...others];
    for (const header of [ct, acc, origin]) {
      if (header && header[1] !== undefined) pairs.push([header[0], header[1]]);
    }
    return pairs;
  });

/** Bodies over the limits (built once; the size check must come before any parsing). */
const oversized = fc.constantFrom(
  JSON.stringify({
    instances: Array.from({ length: API_MAX_INSTANCES + 1 }, () => [5.1, 3.5, 1.4, 0.2]),
  }),
  `[${"1,".repeat(API_MAX_BODY_BYTES / 2)}1]`,
);

const body = fc.oneof(
  { arbitrary: oversized.map((text) => ({ body: text })), weight: 1 },
  { arbitrary: textBody.map((text) => ({ body: text })), weight: 6 },
  { arbitrary: textBody.map((text) => ({ body: text, base64: true })), weight: 2 },
  {
    arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ bodyBytes: bytes })),
    weight: 1,
  },
  { arbitrary: fc.constant({ body: null }), weight: 1 },
);

/** Mostly the routes that exist, so that bodies get read, and anything else besides. */
const route = fc.oneof(
  { arbitrary: fc.constant(["POST", "/predict"] as [string, string]), weight: 6 },
  { arbitrary: fc.constant(["GET", "/health"] as [string, string]), weight: 1 },
  { arbitrary: fc.tuple(method, path), weight: 3 },
);

const request = fc.record({
  format: fc.constantFrom("1.0", "2.0") as fc.Arbitrary<"1.0" | "2.0">,
  cors: fc.boolean(),
  stage: fc.constantFrom(undefined, "prod", "$default"),
  route,
  headers,
  body,
});

describe("handlers/api.ts under 10,000 generated events", () => {
  const handlers: { cors: ApiHandler; plain: ApiHandler } = {} as never;

  before(async () => {
    const model = await trainedModel();
    const build = (corsOrigins: string[]) =>
      createApiHandler({
        loadModel: async () => model.predictor,
        logger: new Logger({ serviceName: "iris-mlops" }),
        metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
        corsOrigins,
      });
    await discardOutput(async () => {
      handlers.cors = build([ORIGIN]);
      handlers.plain = build([]);
      await new Promise((resolve) => setImmediate(resolve));
    });
  });

  it("answers every one with a 2xx, or a 4xx in the JSON error shape", async () => {
    const statuses = new Map<number, number>();
    await discardOutput(() =>
      fc.assert(
        fc.asyncProperty(request, async (generated) => {
          const spec: RequestSpec = {
            method: generated.route[0],
            path: generated.route[1],
            headers: generated.headers,
            ...generated.body,
            ...(generated.stage ? { stage: generated.stage } : {}),
          };
          const handler = generated.cors ? handlers.cors : handlers.plain;
          const result = await handler(apiEvent(generated.format, spec), lambdaContext());

          assert.equal(typeof result.statusCode, "number");
          assert.equal(typeof result.body, "string", "API Gateway needs a string body");
          for (const value of Object.values(result.headers ?? {}))
            assert.equal(typeof value, "string");
          const status = result.statusCode;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          assert.ok(
            (status >= 200 && status < 300) || (status >= 400 && status < 500),
            `status ${status}: ${result.body.slice(0, 300)}`,
          );
          if (status >= 400) {
            expectErrorBody(result.body);
          } else if (status === 200) {
            const json = JSON.parse(result.body) as Record<string, unknown>;
            assert.equal(typeof json.model_version, "string");
          }
        }),
        { numRuns: 10_000, timeout: 10_000 },
      ),
    );
    // the generators reach the interesting answers, not only one kind of error
    for (const status of [200, 400, 404, 405, 413]) {
      assert.ok((statuses.get(status) ?? 0) > 20, `few ${status}s: ${[...statuses]}`);
    }
  });
});
