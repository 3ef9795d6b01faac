/**
 * HEAD is GET without the body on every front door (found by review: the Lambda answered
 * HEAD / with 405 while the server answered 200).
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { inject } from "light-my-request";
import { createApiHandler } from "../../handlers/api.js";
import { buildApp } from "../../server/app.js";
import { captureOutput } from "../helpers/capture-output.js";
import { apiEvent, lambdaContext } from "../helpers/events.js";
import { trainedModel } from "../helpers/model.js";

describe("HEAD / is answered alike by every front door", () => {
  it("the local server answers HEAD / with 200 and no body", async () => {
    const app = buildApp({ predictor: (await trainedModel()).predictor });
    const head = await inject(app.handle, { method: "HEAD", url: "/" });
    assert.equal(head.statusCode, 200);
  });
  it("the Lambda handler answers HEAD / like GET without the body (not 405)", async () => {
    const { predictor } = await trainedModel();
    const [handler] = await captureOutput(async () =>
      createApiHandler({
        loadModel: async () => predictor,
        logger: new Logger({ serviceName: "iris-mlops" }),
        metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
        auth: "iam",
        region: "eu-west-1",
      }),
    );
    const [result] = await captureOutput(() =>
      handler(apiEvent("2.0", { method: "HEAD", path: "/" }), lambdaContext()),
    );
    assert.equal(result.statusCode, 200, `HEAD / answered ${result.statusCode}: ${result.body}`);
    assert.equal(result.body, "");
    assert.match(String(result.headers?.["content-type"]), /^text\/html/);
  });
});
