/**
 * The server at the edges of HTTP, over a real socket written by hand: body limits enforced
 * while the body arrives (not after), slow clients timed out, malformed requests answered in
 * the one error shape, and a stop that finishes the requests in flight and the answers being
 * written.
 */
import assert from "node:assert/strict";
import type { Timeouts } from "../../server/http-server.js";
import { API_MAX_BODY_BYTES, INVOCATIONS_MAX_BODY_BYTES } from "../../serving/limits.js";
import { AppServers } from "../helpers/app-servers.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { RawConnection } from "../helpers/raw-http.js";

const ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';

describe("server/app.ts at the edges of HTTP (a socket written by hand)", () => {
  let model: TrainedModel;
  const servers = new AppServers();
  /** An app listening on an ephemeral port. */
  const serve = (timeouts?: Partial<Timeouts>) =>
    servers.serve(model.predictor, timeouts ? { timeouts } : {});

  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  it("answers 413 to a declared Content-Length over the limit before any of the body is sent", async () => {
    const { open } = await serve();
    const connection = await open();
    await connection.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${API_MAX_BODY_BYTES + 1}\r\n\r\n`,
    );
    const res = await connection.response();
    assert.equal(res.status, 413);
    expectErrorBody(res.body, "payload_too_large");
  });

  it("answers 413 as soon as a chunked body passes the limit, without waiting for its end", async () => {
    const { open } = await serve();
    const connection = await open();
    await connection.write(
      "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = "5.1,3.5,1.4,0.2\n".repeat(4096); // 64 KiB
    const size = Buffer.byteLength(chunk).toString(16);
    for (let sent = 0; sent <= INVOCATIONS_MAX_BODY_BYTES; sent += chunk.length) {
      await connection.write(`${size}\r\n${chunk}\r\n`);
    }
    // the body has not ended (no last chunk): the answer must come anyway
    const res = await connection.response();
    assert.equal(res.status, 413);
    expectErrorBody(res.body, "payload_too_large");
    assert.match(res.body, new RegExp(String(INVOCATIONS_MAX_BODY_BYTES)));
  });

  it("keeps the connection usable after a 413 when the client sends its whole body", async () => {
    const { open } = await serve();
    const connection = await open();
    const body = `[${"1,".repeat(API_MAX_BODY_BYTES / 2)}1]`;
    await connection.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    assert.equal((await connection.response()).status, 413);
    connection.received = "";
    await connection.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await connection.response()).status, 200);
  });

  it("answers 408 in the error shape to headers that never finish, and closes", async () => {
    const { open } = await serve({ headersMs: 200, requestMs: 400 });
    const connection = await open();
    await connection.write("GET /ping HTTP/1.1\r\nHost: x\r\n");
    const res = await connection.response();
    assert.equal(res.status, 408);
    expectErrorBody(res.body, "request_timeout");
    await connection.serverCloses();
  });

  it("answers 408 to a body that stops arriving, and closes", async () => {
    const { open } = await serve({ headersMs: 200, requestMs: 400 });
    const connection = await open();
    await connection.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW.slice(0, 5)}`,
    );
    const res = await connection.response();
    assert.equal(res.status, 408);
    expectErrorBody(res.body, "request_timeout");
    await connection.serverCloses();
  });

  it("answers a request that is not HTTP with 400 in the error shape, and closes", async () => {
    const { open } = await serve();
    const connection = await open();
    await connection.write("HELLO THERE\r\n\r\n");
    const res = await connection.response();
    assert.equal(res.status, 400);
    expectErrorBody(res.body, "bad_input");
    await connection.serverCloses();
  });

  it("answers 431 in the error shape to headers over node's 16 KiB, and closes", async () => {
    const { open } = await serve();
    const connection = await open();
    await connection.write(
      `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`,
    );
    const res = await connection.response();
    assert.equal(res.status, 431);
    expectErrorBody(res.body, "headers_too_large");
    await connection.serverCloses();
  });

  it("answers several requests on one keep-alive connection", async () => {
    const { open } = await serve();
    const connection = await open();
    for (let i = 0; i < 3; i++) {
      connection.received = "";
      await connection.write(
        `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW}`,
      );
      const res = await connection.response();
      assert.equal(res.status, 200);
      assert.equal(res.headers.connection, "keep-alive");
    }
  });

  it("stops gracefully: no new connections, the request in flight answered, then closed", async () => {
    const { app, port, open } = await serve();
    const idle = await open();
    await idle.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await idle.response()).status, 200);
    const busy = await open();
    await busy.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server has the request's start
    let stopped = false;
    const closing = app.close().then(() => {
      stopped = true;
    });
    await idle.serverCloses(); // the idle keep-alive connection is closed at once
    await assert.rejects(RawConnection.open(port), "no longer accepting");
    assert.equal(stopped, false, "waits for the request in flight");

    await busy.write(ROW.slice(10));
    const res = await busy.response();
    assert.equal(res.status, 200);
    assert.equal(res.headers.connection, "close");
    assert.equal(JSON.parse(res.body).predictions.length, 1);
    await busy.serverCloses();
    await closing;
  });

  it("stops while a big answer is being written: the answer arrives whole, then the connection closes", async () => {
    const { app, open } = await serve();
    const body = "5.1,3.5,1.4,0.2\n".repeat(65536); // a 6 MB answer in JSON
    const busy = await open();
    busy.pause();
    await busy.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // predicted, partly written
    let stopped = false;
    const closing = app.close().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(stopped, false, "waits for the answer being written");
    busy.resume();
    const res = await busy.response(30_000);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).predictions.length, 65536);
    await busy.serverCloses();
    await closing;
  });
});
