/**
 * Adversarial review of issue #12 (adv-12): the two doors the document describes with one
 * operation answer the same request alike. The document's 415 is "a Content-Type that is not a
 * media type", and /predict reads JSON "whatever the Content-Type says, if it is a media type":
 * the server refuses `Content-Type: garbage` with 415, the Lambda must too.
 */
import assert from "node:assert/strict";
import type { ApiHandler } from "../../handlers/api.js";
import { AppServers, type Served } from "../helpers/app-servers.js";
import { SETOSA, trainedModel } from "../helpers/model.js";
import { askLambda, askServer, lambdaFor } from "../helpers/openapi-calls.js";

describe("adv-12: a Content-Type that is not a media type", () => {
  const servers = new AppServers();
  let served: Served;
  let lambda: ApiHandler;
  before(async () => {
    const { predictor } = await trainedModel();
    served = await servers.serve(predictor);
    lambda = await lambdaFor(async () => predictor);
  });
  after(() => servers.closeAll());

  for (const type of ["garbage", "json", "application/", "foo bar"])
    it(`POST /predict with Content-Type ${JSON.stringify(type)}: 415 on both doors`, async () => {
      const ask = {
        method: "POST",
        url: "/predict",
        headers: { "content-type": type },
        body: JSON.stringify(SETOSA),
      };
      const server = await askServer(served, ask);
      const onLambda = await askLambda(lambda, ask);
      assert.equal(server.status, 415, server.body);
      assert.equal(onLambda.status, 415, onLambda.body);
      assert.equal(JSON.parse(onLambda.body).error.code, "unsupported_media_type");
    });
});

describe("adv-12: odd request targets validate against the document", () => {
  const servers = new AppServers();
  let served: Served;
  before(async () => {
    served = await servers.serve((await trainedModel()).predictor);
  });
  after(() => servers.closeAll());
  for (const url of ["/%68ealth", "http://127.0.0.1/health", "/health?x=%zz", "/health/"])
    it(`GET ${url}: the route's answer`, async () => {
      assert.equal((await askServer(served, { method: "GET", url })).status, 200);
    });
  it("GET /health%2F is no route: 404", async () => {
    assert.equal((await askServer(served, { method: "GET", url: "/health%2F" })).status, 404);
  });
});
