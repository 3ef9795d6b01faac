/**
 * What the server does when it is at fault (a bug, not bad input): 500 in the error shape with a
 * message that leaks nothing, the request id in `x-request-id`, and one JSON log line holding
 * the same id and the error. Also: any method on a known path other than its own is a 405.
 */
import assert from "node:assert/strict";
import { inject } from "light-my-request";
import type { Predictor } from "../../core/predictor.js";
import { buildApp } from "../../server/app.js";
import { createLogger } from "../../server/log.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { trainedModel } from "../helpers/model.js";

describe("server/app.ts when it is at fault", () => {
  it("answers 500 internal with x-request-id, and logs the error under that id", async () => {
    const { predictor } = await trainedModel();
    const broken: Predictor = {
      ...predictor,
      predictBatch: () => {
        throw new Error("the forest is on fire");
      },
      // the path CSV and JSON-lines bodies take
      predictColumns: () => {
        throw new Error("the forest is on fire");
      },
    };
    const lines: string[] = [];
    const app = buildApp({ predictor: broken, logger: createLogger("info", (l) => lines.push(l)) });
    const res = await inject(app.handle, {
      method: "POST",
      url: "/invocations",
      headers: { "content-type": "text/csv" },
      payload: "5.1,3.5,1.4,0.2\n",
    });
    assert.equal(res.statusCode, 500);
    const error = expectErrorBody(res.body, "internal");
    assert.doesNotMatch(error.message, /fire/, "the message leaks nothing");
    const reqId = String(res.headers["x-request-id"]);
    assert.match(reqId, /^[0-9a-f-]{36}$/);
    assert.equal(lines.length, 1, lines.join(""));
    const record = JSON.parse(lines[0] as string);
    assert.equal(record.level, 50);
    assert.equal(record.reqId, reqId);
    assert.equal(record.method, "POST");
    assert.equal(record.url, "/invocations");
    assert.equal(record.err.message, "the forest is on fire");
    assert.match(record.err.stack, /predictColumns/);
  });

  it("logs nothing for bad input, however much of it", async () => {
    const { predictor } = await trainedModel();
    const lines: string[] = [];
    const app = buildApp({ predictor, logger: createLogger("info", (l) => lines.push(l)) });
    for (const payload of ["", "{", "[1,2,3]", '{"instances":[]}']) {
      const res = await inject(app.handle, { method: "POST", url: "/predict", payload });
      assert.equal(res.statusCode, 400);
    }
    assert.deepEqual(lines, []);
  });

  for (const method of ["TRACE", "PROPFIND", "HEAD"] as const) {
    it(`answers ${method} /invocations with 405 and Allow: POST`, async () => {
      const { predictor } = await trainedModel();
      const res = await inject(buildApp({ predictor }).handle, { method, url: "/invocations" });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, "POST");
    });
  }

  it("answers HEAD on a GET route as GET, without the body", async () => {
    const { predictor } = await trainedModel();
    const res = await inject(buildApp({ predictor }).handle, { method: "HEAD", url: "/health" });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, "");
    assert.ok(Number(res.headers["content-length"]) > 0);
  });
});
