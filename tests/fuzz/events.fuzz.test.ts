/**
 * Fuzzing the Lambda's front door through its public entry, createApiHandler: API Gateway events
 * of both payload formats with generated methods, paths, stages, headers, bodies (text and
 * base64), as API Gateway builds them, and events it would never send (./malformed-events.ts).
 * Every answer is 2xx or 4xx, in the error shape when it is an error, within the per-call
 * budgets; a malformed event gets exactly the 4xx its fault calls for.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import fc from "fast-check";
import { createApiHandler } from "../../handlers/api.js";
import type { ApiEvent } from "../../handlers/events.js";
import { expectErrorBody, expectErrorFor } from "../helpers/error-shape.js";
import { apiEvent, lambdaContext, type RequestSpec } from "../helpers/events.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { contentEncoding, jsonBodyText, jsonBodyValue, mediaTypeHeader } from "./arbitraries.js";
import { fuzzParameters, fuzzTimeout, shown, withinBudget } from "./budget.js";
import { type MalformedEvent, malformedEvent } from "./malformed-events.js";

/** Metrics that go nowhere: the fuzz run would otherwise print an EMF line per call. */
const noMetrics = {
  addMetric() {},
  addDimension() {
    return this;
  },
  addDimensions() {
    return this;
  },
  singleMetric() {
    return this;
  },
  captureColdStartMetric() {},
  publishStoredMetrics() {},
} as unknown as Metrics;

const header = fc.tuple(
  fc.constantFrom(
    "Content-Type",
    "content-type",
    "Accept",
    "Content-Encoding",
    "Origin",
    "X-Other",
    "Content-Length",
  ),
  fc.string({ maxLength: 20 }),
);

const spec: fc.Arbitrary<RequestSpec> = fc.record(
  {
    method: fc.oneof(
      fc.constantFrom("POST", "GET", "OPTIONS", "post", "PUT", ""),
      fc.string({ maxLength: 6 }),
    ),
    path: fc.oneof(
      fc.constantFrom("/predict", "/predict/", "/health", "/", "", "/prod/predict", "/predict//"),
      fc.string({ maxLength: 12 }).map((s) => `/${s}`),
    ),
    headers: fc
      .tuple(
        fc.option(mediaTypeHeader, { nil: undefined }),
        contentEncoding,
        fc.array(header, { maxLength: 3 }),
      )
      .map(([type, encoding, more]): [string, string][] => [
        ...(type === undefined ? [] : [["content-type", type] as [string, string]]),
        ...(encoding === undefined ? [] : [["content-encoding", encoding] as [string, string]]),
        ...more,
      ]),
    // a byte-order mark is dropped, as the server drops it
    body: fc.oneof(
      jsonBodyText,
      // valid JSON, so that the rows are read (and refused) past the event checks
      jsonBodyValue.map((value) => JSON.stringify(value) ?? "null"),
      jsonBodyText.map((text) => `\ufeff${text}`),
      fc.constant(null),
    ),
    // raw bytes, or a body gzip-compressed without a Content-Encoding saying so
    bodyBytes: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      jsonBodyText.map((text) => new Uint8Array(gzipSync(text))),
    ),
    base64: fc.boolean(),
    stage: fc.constantFrom("prod", "$default", "dev"),
    requestId: fc.string({ maxLength: 8 }),
  },
  { requiredKeys: ["method", "path", "headers", "body"] },
);

/** The web page (GET /, serving/page/): HTML, not JSON. */
const isPage = (result: { headers?: Record<string, unknown> }): boolean =>
  String(result.headers?.["content-type"] ?? "").startsWith("text/html");

describe("fuzz: API Gateway events through the Lambda handler", function () {
  this.timeout(fuzzTimeout());
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  const handler = () =>
    createApiHandler({
      loadModel: async () => model.predictor,
      logger: new Logger({ serviceName: "iris-mlops", logLevel: "SILENT" }),
      metrics: noMetrics,
      corsOrigins: ["https://app.example"],
    });

  it("answers 2xx or 4xx in the error shape, within budget", async () => {
    const handle = handler();
    await fc.assert(
      fc.asyncProperty(
        spec,
        fc.constantFrom("1.0", "2.0") as fc.Arbitrary<"1.0" | "2.0">,
        // payload 1.0 sends null headers when there are none
        fc.boolean(),
        async (request, format, nullHeaders) => {
          const event = {
            ...apiEvent(format, request),
            ...(nullHeaders ? { headers: null } : {}),
          } as ApiEvent;
          const what = `${format}${nullHeaders ? " null headers" : ""} ${shown(request)}`;
          const outcome = await withinBudget(
            what,
            [],
            () => handle(event, lambdaContext()),
            JSON.stringify(event).length,
          );
          const result = outcome.value as NonNullable<typeof outcome.value>;
          assert.ok(
            result.statusCode >= 200 && result.statusCode < 500,
            `${result.statusCode} for ${what}: ${result.body}`,
          );
          if (result.statusCode >= 400) expectErrorBody(result.body);
          else if (result.statusCode === 200 && !isPage(result))
            assert.doesNotThrow(() => JSON.parse(result.body));
        },
      ),
      fuzzParameters(1_500),
    );
  });

  it("answers an event API Gateway would never send with the 4xx its fault calls for, never a 5xx or a throw", async () => {
    const handle = handler();
    await fc.assert(
      fc.asyncProperty(malformedEvent, async ({ format, what, event, status }) => {
        const outcome = await withinBudget(
          `${format} ${what}`,
          [],
          () => handle(event as ApiEvent, lambdaContext()),
          JSON.stringify(event ?? null).length,
        );
        const result = outcome.value as NonNullable<typeof outcome.value>;
        assert.equal(result.statusCode, status, `${format} ${what}: ${result.body}`);
        const error = expectErrorFor(status, result.body);
        if (status === 400) assert.match(error.message, /^not an API Gateway proxy event: /);
      }),
      {
        ...fuzzParameters<[MalformedEvent]>(1_500),
        examples: [null, undefined, 5].map((event): [MalformedEvent] => [
          { format: "1.0", what: `event ${String(event)}`, event, status: 400 },
        ]),
      },
    );
  });
});
