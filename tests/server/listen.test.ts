/**
 * The server over a real socket on 127.0.0.1 (an ephemeral port), with fetch: what inject cannot
 * show (HTTP parsing, URLs as sent on the wire, keep-alive connections at shutdown).
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { type App, buildApp } from "../../server/app.js";
import { API_MAX_BODY_BYTES } from "../../serving/limits.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { rowOf, SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";

describe("server/app.ts on a listening socket", () => {
  let model: TrainedModel;
  let app: App;
  let base: string;

  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  it("answers GET /ping with 200 and an empty body, and GET /health", async () => {
    const ping = await fetch(`${base}/ping`);
    assert.equal(ping.status, 200);
    assert.equal(await ping.text(), "");
    const health = await fetch(`${base}/health`);
    assert.deepEqual(await health.json(), { status: "ok", model_version: model.modelVersion });
  });

  it("answers POST /predict sent as curl -d sends it (form-encoded)", async () => {
    const res = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: JSON.stringify(SETOSA),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      ...model.predictor.predict(rowOf(SETOSA)),
      model_version: model.modelVersion,
    });
  });

  it("answers POST /invocations text/csv with one species per line", async () => {
    const res = await fetch(`${base}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv", accept: "text/csv" },
      body: `${rowOf(SETOSA).join(",")}\r\n${rowOf(VIRGINICA).join(",")}\r\n`,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    assert.equal(
      await res.text(),
      `${model.predictor.predict(rowOf(SETOSA)).species}\n${model.predictor.predict(rowOf(VIRGINICA)).species}\n`,
    );
  });

  it("answers errors in the one shape: 404, 405 with Allow, 406, 415, a bad URL", async () => {
    const notFound = await fetch(`${base}/nope`);
    assert.equal(notFound.status, 404);
    expectErrorBody(await notFound.text(), "not_found");

    const wrongMethod = await fetch(`${base}/invocations`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "POST");
    expectErrorBody(await wrongMethod.text(), "method_not_allowed");

    const csv = { method: "POST", body: "5.1,3.5,1.4,0.2" };
    const notAcceptable = await fetch(`${base}/invocations`, {
      ...csv,
      headers: { "content-type": "text/csv", accept: "text/html" },
    });
    assert.equal(notAcceptable.status, 406);
    expectErrorBody(await notAcceptable.text(), "not_acceptable");

    const unsupported = await fetch(`${base}/invocations`, {
      ...csv,
      headers: { "content-type": "text/plain" },
    });
    assert.equal(unsupported.status, 415);
    expectErrorBody(await unsupported.text(), "unsupported_media_type");

    const badUrl = await fetch(`${base}/%zz`);
    assert.equal(badUrl.status, 400);
    expectErrorBody(await badUrl.text(), "bad_input");
  });

  it("answers 413 to a /predict body over the limit sent over the wire", async () => {
    const res = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `[${"1,".repeat(API_MAX_BODY_BYTES / 2)}1]`,
    });
    assert.equal(res.status, 413);
    expectErrorBody(await res.text(), "payload_too_large");
  });

  it("closes with a keep-alive connection still open", async () => {
    const other = buildApp({ predictor: model.predictor });
    await other.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}/health`;
    const res = await fetch(url, { headers: { connection: "keep-alive" } });
    assert.equal(res.status, 200);
    await res.text(); // the connection is now idle in fetch's pool
    await other.close(); // resolves: idle connections are closed, not waited out
    await assert.rejects(fetch(url), "no longer listening");
  });
});
