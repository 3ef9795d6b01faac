/**
 * The server's budgets as invariants, over real sockets: the in-flight budget (bytes and
 * requests) answers 503 with Retry-After beyond it, a body is decoded strictly and measured in
 * the bytes received, a client that does not read its answer is cut off, and a large batch does
 * not keep /ping waiting.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { type App, type AppOptions, buildApp } from "../../server/app.js";
import { INVOCATIONS_MAX_BODY_BYTES } from "../../serving/limits.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { RawConnection } from "../helpers/raw-http.js";

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const csvBody = (bytes: number) => CSV_ROW.repeat(Math.floor(bytes / CSV_ROW.length));
const post = (path: string, type: string, length: number, accept = type) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAccept: ${accept}\r\nContent-Length: ${length}\r\n\r\n`;

describe("server/app.ts budgets (over sockets)", function () {
  this.timeout(60_000);
  let model: TrainedModel;
  const apps: App[] = [];
  const connections: RawConnection[] = [];

  async function serve(options: Partial<AppOptions> = {}) {
    const app = buildApp({ predictor: model.predictor, ...options });
    apps.push(app);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const open = async () => {
      const connection = await RawConnection.open(port);
      connections.push(connection);
      return connection;
    };
    return { app, port, open };
  }

  before(async () => {
    model = await trainedModel();
  });
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it("answers 503 with Retry-After when the bodies in flight would pass the byte budget", async () => {
    const { open } = await serve({ budget: { bytes: 1024 * 1024 } });
    const rows = (bytes: number) => CSV_ROW.repeat(Math.ceil(bytes / CSV_ROW.length));
    const holding = await open();
    // a declared 700 KiB body of which 600 KiB came: what came is held (with room to grow)
    await holding.write(`${post("/invocations", "text/csv", 700 * 1024)}${rows(600 * 1024)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await open();
    await second.write(`${post("/invocations", "text/csv", 700 * 1024)}${rows(600 * 1024)}`);
    const res = await second.response();
    assert.equal(res.status, 503);
    assert.equal(res.headers["retry-after"], "1");
    expectErrorBody(res.body, "overloaded");
    // a small request still fits, and /ping is never refused
    const small = await open();
    await small.write(`${post("/invocations", "text/csv", CSV_ROW.length)}${CSV_ROW}`);
    assert.equal((await small.response()).status, 200);
    const ping = await open();
    await ping.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await ping.response()).status, 200);
  });

  it("holds only the bytes that arrived: declaring large bodies and sending none locks no one out", async () => {
    const { open } = await serve({ budget: { bytes: 1024 * 1024 } });
    // together they declare 5 MiB against a 1 MiB budget, and send one row each
    for (let i = 0; i < 10; i++) {
      const idle = await open();
      await idle.write(`${post("/invocations", "text/csv", 512 * 1024)}${CSV_ROW}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const small = await open();
    await small.write(`${post("/predict", "application/json", 2)}{}`);
    assert.equal((await small.response()).status, 400);
  });

  it("answers 503 when the requests in flight are at the request budget, and frees the slot after", async () => {
    const { open } = await serve({ budget: { requests: 1 } });
    const holding = await open();
    await holding.write(`${post("/invocations", "text/csv", CSV_ROW.length * 2)}${CSV_ROW}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await open();
    await second.write(`${post("/predict", "application/json", 2)}{}`);
    const refused = await second.response();
    assert.equal(refused.status, 503);
    expectErrorBody(refused.body, "overloaded");
    await holding.write(CSV_ROW);
    assert.equal((await holding.response()).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = await open();
    await third.write(`${post("/invocations", "text/csv", CSV_ROW.length)}${CSV_ROW}`);
    assert.equal((await third.response()).status, 200);
  });

  it("measures the body in the bytes received and refuses invalid UTF-8 as bad_json", async () => {
    const { open } = await serve();
    const connection = await open();
    const body = Buffer.concat([Buffer.from("{"), Buffer.alloc(400_000, 0xff), Buffer.from("}")]);
    await connection.write(`${post("/predict", "application/json", body.length)}`);
    await connection.write(body);
    const res = await connection.response();
    assert.equal(res.status, 400);
    const { message } = expectErrorBody(res.body, "bad_json");
    assert.match(message, /UTF-8/);
    assert.match(message, /400002 bytes/);
  });

  it("cuts off a client that does not read a big answer within the write deadline", async () => {
    const { app, open } = await serve({ timeouts: { writeMs: 300 } });
    const connection = await open();
    connection.pause();
    const body = csvBody(3 * 1024 * 1024); // an answer of about 18 MB in JSON
    await connection.write(`${post("/invocations", "text/csv", body.length, "application/json")}`);
    await connection.write(body);
    // the server drops its side of the connection (the paused client would not see it)
    const deadline = Date.now() + 30_000;
    let open_ = 1;
    while (open_ > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      open_ = await new Promise<number>((resolve) =>
        app.server.getConnections((_, count) => resolve(count)),
      );
    }
    assert.equal(open_, 0, "the connection of a client that does not read is cut");
  });

  it("answers /ping within 1 s while a 6 MiB batch is being predicted", async () => {
    const { port, open } = await serve();
    const body = csvBody(INVOCATIONS_MAX_BODY_BYTES);
    const batch = await open();
    await batch.write(
      `${post("/invocations", "text/csv", body.length, "application/json")}${body}`,
    );
    let worst = 0;
    let probes = 0;
    while (!batch.received.includes("\r\n\r\n") && probes < 200) {
      const started = performance.now();
      const ping = await fetch(`http://127.0.0.1:${port}/ping`);
      assert.equal(ping.status, 200);
      worst = Math.max(worst, performance.now() - started);
      probes++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const res = await batch.response(60_000);
    assert.equal(res.status, 200);
    assert.ok(probes >= 3, `the batch took ${probes} probes; expected it to take a while`);
    assert.ok(worst < 1000, `/ping took ${Math.round(worst)} ms while a batch ran`);
  });
});
