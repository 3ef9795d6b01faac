/**
 * Adversarial review of issue #12 (adv-12): the OpenAPI document against what the deployed doors
 * really answer. Behind API Gateway, the Lambda's protected routes are refused by API Gateway
 * itself before the function runs: 401 for a missing or bad JWT, 403 for an unsigned request or
 * a principal without execute-api:Invoke (docs/deploy.md "Access control" says both), and every
 * route may be throttled with a 429 by the $default stage's route settings. Those answers are
 * API Gateway's `{"message": "..."}`, not the Error shape, so a client generated from the
 * document must find them in it. And `serve --no-metrics` answers GET /metrics with a 404 that
 * the document's /metrics operation must list.
 */
import assert from "node:assert/strict";
import { openApiDocument } from "../../serving/openapi.js";
import { AppServers } from "../helpers/app-servers.js";
import { trainedModel } from "../helpers/model.js";
import { askServer } from "../helpers/openapi-calls.js";
import { checkAnswer } from "../helpers/openapi-check.js";

type Op = {
  "x-doors": string[];
  "x-lambda-access"?: string;
  responses: Record<string, unknown>;
};
const doc = openApiDocument() as { paths: Record<string, Record<string, Op>> };
const lambdaOps = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, op]) => op["x-doors"].includes("lambda"))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
);

describe("adv-12: API Gateway's own answers on the Lambda door are in the document", () => {
  for (const { key, op } of lambdaOps) {
    if (op["x-lambda-access"] === "protected")
      it(`${key} (protected) lists 401 and 403`, () => {
        assert.ok(op.responses["401"], `${key}: no 401 (jwt: a missing or bad token)`);
        assert.ok(op.responses["403"], `${key}: no 403 (iam: unsigned, or no grant)`);
      });
    it(`${key} lists 429 (the stage's throttle)`, () => {
      assert.ok(op.responses["429"], `${key}: no 429`);
    });
  }
  it("API Gateway's refusals validate: {message} with 401, 403, 429", () => {
    const gateway = { "content-type": "application/json" };
    for (const [method, url, status, message] of [
      ["POST", "/predict", 401, "Unauthorized"],
      ["GET", "/health", 403, "Forbidden"],
      ["POST", "/predict", 429, "Too Many Requests"],
      ["GET", "/", 429, "Too Many Requests"],
    ] as const)
      checkAnswer({
        door: "lambda",
        method,
        url,
        status,
        headers: gateway,
        body: JSON.stringify({ message }),
      });
  });
});

describe("adv-12: GET /metrics with metrics off", () => {
  const servers = new AppServers();
  after(() => servers.closeAll());
  it("is a 404 the document lists", async () => {
    const { predictor } = await trainedModel();
    const served = await servers.serve(predictor, { metrics: false });
    const seen = await askServer(served, { method: "GET", url: "/metrics" });
    assert.equal(seen.status, 404);
  });
});

/**
 * API Gateway HTTP APIs match a route by its exact method and path ("If no routes match a
 * request, API Gateway returns {"message":"Not Found"}", AWS, "Create routes for HTTP APIs"), and
 * the route table has no HEAD route, no ANY and no $default: behind API Gateway a HEAD, a known
 * path with another method and an unknown path never reach the function, and are answered 404
 * with API Gateway's own body. The document must admit those answers on the Lambda door.
 */
describe("adv-12: API Gateway's 404 for what no route matches", () => {
  const notFound = {
    door: "lambda" as const,
    status: 404,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: "Not Found" }),
  };
  for (const [method, url] of [
    ["GET", "/nope"],
    ["GET", "/predict"],
    ["POST", "/health"],
    ["DELETE", "/"],
  ] as const)
    it(`${method} ${url} on the deployed Lambda: 404 {"message":"Not Found"} validates`, () => {
      checkAnswer({ ...notFound, method, url });
    });
  it("HEAD / on the deployed Lambda: 404, no body, validates", () => {
    checkAnswer({ ...notFound, method: "HEAD", url: "/", body: "" });
  });
  it("the document does not promise HEAD on the Lambda behind API Gateway", () => {
    const info = (openApiDocument() as { info: { description: string } }).info.description;
    assert.match(info, /API Gateway[^.]*HEAD|HEAD[^.]*API Gateway/);
  });
});
