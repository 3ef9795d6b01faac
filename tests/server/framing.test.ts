/**
 * HTTP framing over a socket written by hand: one answer per request, in order, always in the
 * error shape, whatever follows a request on the connection.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { type App, buildApp } from "../../server/app.js";
import { API_MAX_BODY_BYTES } from "../../serving/limits.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { parseResponse, RawConnection, type RawResponse } from "../helpers/raw-http.js";

const ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const PREDICT = `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW}`;

/** Every complete response in `text`, in order (the bodies here are ASCII). */
function responses(text: string): RawResponse[] {
  const all: RawResponse[] = [];
  let rest = text;
  for (let res = parseResponse(rest); res !== undefined; res = parseResponse(rest)) {
    all.push(res);
    rest = rest.slice(rest.indexOf("\r\n\r\n") + 4 + res.body.length);
  }
  return all;
}

describe("server/app.ts HTTP framing (a socket written by hand)", () => {
  let model: TrainedModel;
  let app: App;
  let port: number;
  const connections: RawConnection[] = [];
  const open = async () => {
    const connection = await RawConnection.open(port);
    connections.push(connection);
    return connection;
  };

  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterEach(() => {
    for (const connection of connections.splice(0)) connection.destroy();
  });
  after(() => app.close());

  it("answers a valid pipelined request before the 400 to the garbage after it", async () => {
    const connection = await open();
    await connection.write(`${PREDICT}GARBAGE\r\n\r\n`);
    await connection.serverCloses();
    const [first, second, ...more] = responses(connection.received);
    assert.equal(first?.status, 200, connection.received);
    assert.equal(JSON.parse(first?.body ?? "").predictions.length, 1);
    assert.equal(second?.status, 400, connection.received);
    expectErrorBody(second?.body ?? "", "bad_input");
    assert.deepEqual(more, []);
  });

  it("gives an over-limit chunked body one answer (413), not a second for a bad chunk after it", async () => {
    const connection = await open();
    await connection.write(
      "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = "1".repeat(64 * 1024);
    for (let sent = 0; sent <= API_MAX_BODY_BYTES; sent += chunk.length)
      await connection.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await connection.write("zz-not-a-chunk\r\n\r\n");
    await connection.serverCloses();
    const answers = responses(connection.received);
    assert.deepEqual(
      answers.map((res) => res.status),
      [413],
    );
  });

  it("answers a request without Host in the error shape", async () => {
    const connection = await open();
    await connection.write("GET /ping HTTP/1.1\r\n\r\n");
    const res = await connection.response();
    assert.equal(res.status, 400);
    assert.match(expectErrorBody(res.body, "bad_input").message, /Host/);
  });

  it("answers an unknown Expect with 417 in the error shape", async () => {
    const connection = await open();
    await connection.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: ${ROW.length}\r\n\r\n`,
    );
    const res = await connection.response();
    assert.equal(res.status, 417);
    expectErrorBody(res.body, "expectation_failed");
  });

  it("answers CONNECT with 405 in the error shape, then closes", async () => {
    const connection = await open();
    await connection.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    const res = await connection.response();
    assert.equal(res.status, 405);
    expectErrorBody(res.body, "method_not_allowed");
    await connection.serverCloses();
  });

  it("routes an absolute-form target by its path (RFC 9112 §3.2.2)", async () => {
    const connection = await open();
    await connection.write(
      `POST http://127.0.0.1:${port}/predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW}`,
    );
    const res = await connection.response();
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).predictions.length, 1);
  });

  it("answers a transfer coding other than chunked with 501, after the answer before it, then closes (RFC 9112 §6.1)", async () => {
    const connection = await open();
    await connection.write(
      `${PREDICT}POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${ROW.length.toString(16)}\r\n${ROW}\r\n0\r\n\r\n`,
    );
    await connection.serverCloses();
    const [first, second, ...more] = responses(connection.received);
    assert.equal(first?.status, 200, connection.received);
    assert.equal(second?.status, 501, connection.received);
    assert.match(expectErrorBody(second?.body ?? "", "not_implemented").message, /gzip, chunked/);
    assert.deepEqual(more, []);
  });

  it("answers a Transfer-Encoding whose last coding is not chunked with 400 naming it, then closes (RFC 9112 §6.3)", async () => {
    for (const coding of ["gzip", "chunked, gzip"]) {
      const connection = await open();
      await connection.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\n\r\n0\r\n\r\n`,
      );
      await connection.serverCloses();
      const answers = responses(connection.received);
      assert.deepEqual(
        answers.map((res) => res.status),
        [400],
        coding,
      );
      assert.match(expectErrorBody(answers[0]?.body ?? "", "bad_input").message, /chunked/);
    }
  });

  it("says what is wrong with a Transfer-Encoding node refuses: beside Content-Length, or chunked twice", async () => {
    const cases = [
      { headers: "Content-Length: 5\r\nTransfer-Encoding: chunked", says: /Content-Length/ },
      { headers: "Transfer-Encoding: chunked, chunked", says: /chunked once/ },
      { headers: "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", says: /chunked once/ },
    ];
    for (const { headers, says } of cases) {
      const connection = await open();
      await connection.write(`POST /predict HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n0\r\n\r\n`);
      await connection.serverCloses();
      const answers = responses(connection.received);
      assert.deepEqual(
        answers.map((res) => res.status),
        [400],
        headers,
      );
      const { message } = expectErrorBody(answers[0]?.body ?? "", "bad_input");
      assert.match(message, says, headers);
      assert.doesNotMatch(message, /the last transfer coding/, headers);
    }
  });

  it("ignores empty elements of Transfer-Encoding (RFC 9110 §5.6.1)", async () => {
    for (const coding of [",chunked", " , chunked"]) {
      const connection = await open();
      await connection.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\n\r\n${ROW.length.toString(16)}\r\n${ROW}\r\n0\r\n\r\n`,
      );
      const res = await connection.response();
      assert.equal(res.status, 200, `${coding}: ${res.body}`);
      assert.equal(JSON.parse(res.body).predictions.length, 1);
    }
  });

  it("answers two Host headers with 400, then closes (RFC 9112 §3.2)", async () => {
    const connection = await open();
    await connection.write("GET /ping HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
    await connection.serverCloses();
    const answers = responses(connection.received);
    assert.deepEqual(
      answers.map((res) => res.status),
      [400],
    );
    assert.match(expectErrorBody(answers[0]?.body ?? "", "bad_input").message, /Host/);
  });

  it("refuses a body over the limit behind Expect: 100-continue with 413 at once, never asking for it", async () => {
    const connection = await open();
    await connection.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${API_MAX_BODY_BYTES + 1}\r\n\r\n`,
    );
    const res = await connection.response();
    assert.equal(res.status, 413, connection.received);
    expectErrorBody(res.body, "payload_too_large");
    assert.doesNotMatch(connection.received, /100 Continue/);
    // the client may send the body or not: the connection cannot carry another request
    assert.equal(res.headers.connection, "close");
    await connection.serverCloses();
  });

  it("asks for a body behind Expect: 100-continue only when it will read it", async () => {
    const connection = await open();
    await connection.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${ROW.length}\r\n\r\n`,
    );
    const deadline = Date.now() + 10_000;
    while (!connection.received.includes("\r\n\r\n") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(connection.received, "HTTP/1.1 100 Continue\r\n\r\n");
    connection.received = "";
    await connection.write(ROW);
    const res = await connection.response();
    assert.equal(res.status, 200, connection.received);
    assert.equal(JSON.parse(res.body).predictions.length, 1);
  });
});
