/**
 * What JSON.parse and Number() would change without a word, refused alike by every door: a
 * measurement a double cannot hold (1e-999 read as 0, 1e999 as Infinity, 1e-320 subnormal) and
 * a key given twice (JSON.parse keeps the last). The server's /predict and /invocations in
 * each body type, and the Lambda in both payload formats, answer the same 400 naming the field.
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { inject } from "light-my-request";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import { type App, buildApp } from "../../server/app.js";
import { captureOutput } from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { apiEvent, FORMATS, lambdaContext, parseResult } from "../helpers/events.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

const values = (last: string) => ["5.1", "3.5", "1.4", last];
const object = (last: string) =>
  `{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":${last}}`;

/** The literals, and what the message must say: the field, the number as sent, what it reads as. */
const OUT_OF_RANGE: [string, RegExp][] = [
  ["1e-999", /petal_width: 1e-999 is under 2\.2250738585072014e-308, .*it would read as 0;/],
  ["1e999", /petal_width: 1e999 is over 1\.7976931348623157e\+308, .*it would read as Infinity;/],
  ["1e-320", /petal_width: 1e-320 is under .*subnormal/],
];

const DUPLICATE = `{"sepal_length":1,"sepal_length":9,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}`;
const DUPLICATE_SAYS = /sepal_length: appears twice in one object; send each field once/;

describe("literals: the same 400 from every door", () => {
  let model: TrainedModel;
  let app: App;
  let lambda: ApiHandler;
  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
    [lambda] = await captureOutput(async () => {
      const created = createApiHandler({
        loadModel: async () => model.predictor,
        logger: new Logger({ serviceName: "iris-mlops", logLevel: "SILENT" }),
        metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
      });
      await new Promise((resolve) => setImmediate(resolve));
      return created;
    });
  });
  after(() => app.close());

  async function server(url: string, type: string, payload: string) {
    const res = await inject(app.handle, {
      method: "POST",
      url,
      payload,
      headers: { "content-type": type },
    });
    return { status: res.statusCode, body: res.body };
  }

  async function viaLambda(format: (typeof FORMATS)[number], body: string) {
    const event = apiEvent(format, {
      method: "POST",
      path: "/predict",
      headers: { "content-type": "application/json" },
      body,
    });
    const [result] = await captureOutput(() => lambda(event, lambdaContext()));
    const parsed = parseResult(result);
    return { status: parsed.statusCode, body: parsed.body };
  }

  const expect400 = (what: string, answer: { status: number; body: string }, says: RegExp) => {
    assert.equal(answer.status, 400, `${what}: ${answer.body}`);
    assert.match(expectErrorBody(answer.body, "bad_input").message, says, what);
  };

  for (const [literal, says] of OUT_OF_RANGE) {
    it(`a measurement of ${literal}: 400 naming the field and ${literal}`, async () => {
      const json = object(literal);
      expect400("/predict", await server("/predict", "application/json", json), says);
      expect400(
        "/predict batch",
        await server("/predict", "application/json", `{"instances":[${object("0.2")},${json}]}`),
        new RegExp(`^instances\\[1\\]\\.${says.source}`),
      );
      expect400("/invocations JSON", await server("/invocations", "application/json", json), says);
      expect400(
        "/invocations JSON lines",
        await server("/invocations", "application/jsonlines", `${object("0.2")}\n${json}\n`),
        new RegExp(`^line 2, ${says.source}`),
      );
      expect400(
        "/invocations CSV",
        await server("/invocations", "text/csv", `5.1,3.5,1.4,0.2\n${values(literal).join(",")}\n`),
        new RegExp(`^line 2, ${says.source}`),
      );
      for (const format of FORMATS)
        expect400(`Lambda ${format}`, await viaLambda(format, json), says);
    });
  }

  it("a key given twice: 400 naming the key, not the last value silently", async () => {
    expect400("/predict", await server("/predict", "application/json", DUPLICATE), DUPLICATE_SAYS);
    expect400(
      "/invocations JSON",
      await server("/invocations", "application/json", `[${DUPLICATE}]`),
      new RegExp(`^\\[0\\]\\.${DUPLICATE_SAYS.source}`),
    );
    expect400(
      "/invocations JSON lines",
      await server("/invocations", "application/jsonlines", `${DUPLICATE}\n`),
      new RegExp(`^line 1, ${DUPLICATE_SAYS.source}`),
    );
    for (const format of FORMATS)
      expect400(`Lambda ${format}`, await viaLambda(format, DUPLICATE), DUPLICATE_SAYS);
  });
});
