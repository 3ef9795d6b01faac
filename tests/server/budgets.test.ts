/**
 * The server's budgets as invariants, over real sockets: the in-flight budget (bytes and
 * requests) answers 503 with Retry-After beyond it, a body is decoded strictly and measured in
 * the bytes received, a client that does not read its answer is cut off, a large batch does
 * not keep /ping waiting, nor do large JSON bodies that end at once, and answers nobody reads hold next to nothing.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { AppOptions } from "../../server/app.js";
import { formatInvocation, parseInvocation } from "../../serving/invocations.js";
import { INVOCATIONS_MAX_BODY_BYTES } from "../../serving/limits.js";
import { AppServers } from "../helpers/app-servers.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const csvBody = (bytes: number) => CSV_ROW.repeat(Math.floor(bytes / CSV_ROW.length));
const post = (path: string, type: string, length: number, accept = type) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAccept: ${accept}\r\nContent-Length: ${length}\r\n\r\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `ready` holds (the server has read what was sent), not a fixed time: CI is loaded. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !ready(); waited += 10) {
    assert.ok(waited < 10_000, `never: ${what}`);
    await sleep(10);
  }
}

/** Milliseconds to a whole `GET /ping` answer on a new connection; 5000 when none came. */
function pingMs(port: number): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, "127.0.0.1");
    const miss = setTimeout(() => finish(5000), 5000);
    let head = "";
    const finish = (ms: number) => {
      clearTimeout(miss);
      socket.destroy();
      resolve(ms);
    };
    socket.on("error", () => finish(5000));
    socket.on("connect", () => socket.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (head.startsWith("HTTP/1.1 200") && head.includes("\r\n\r\n"))
        finish(performance.now() - started);
    });
  });
}

describe("server/app.ts budgets (over sockets)", function () {
  this.timeout(60_000);
  let model: TrainedModel;
  const servers = new AppServers();
  const serve = (options: Partial<AppOptions> = {}) => servers.serve(model.predictor, options);

  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  it("answers 503 with Retry-After when the bodies in flight would pass the byte budget", async () => {
    const { app, open } = await serve({ budget: { bytes: 1024 * 1024 } });
    const rows = (bytes: number) => CSV_ROW.repeat(Math.ceil(bytes / CSV_ROW.length));
    const holding = await open();
    // a declared 700 KiB body of which 600 KiB came: what came is held (with room to grow)
    await holding.write(`${post("/invocations", "text/csv", 700 * 1024)}${rows(600 * 1024)}`);
    await until(() => app.inFlight.bytes >= 600 * 1024, "the first body is held");
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

  it("holds a JSON body's parsed tree in the byte budget: 503 when it does not fit, given back after", async () => {
    const { app, open } = await serve({ budget: { bytes: 4 * 1024 * 1024 } });
    const row = "[5.1,3.5,1.4,0.2],";
    const json = `[${row.repeat(Math.floor((1024 * 1024) / row.length))}[5.1,3.5,1.4,0.2]]`;
    // its 1 MiB fits, the ~6 MB JSON.parse makes of it does not
    const big = await open();
    await big.write(`${post("/invocations", "application/json", json.length, "text/csv")}${json}`);
    const refused = await big.response(30_000);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "1");
    expectErrorBody(refused.body, "overloaded");
    // the same rows as CSV hold only their bytes, and a small JSON body fits
    const csv = await open();
    const rows = csvBody(1024 * 1024);
    await csv.write(`${post("/invocations", "text/csv", rows.length)}${rows}`);
    assert.equal((await csv.response(30_000)).status, 200);
    const small = await open();
    await small.write(
      `${post("/invocations", "application/json", 17, "text/csv")}[5.1,3.5,1.4,0.2]`,
    );
    assert.equal((await small.response()).status, 200);
    await sleep(50);
    assert.equal(app.inFlight.bytes, 0);
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
    const { app, open } = await serve({ budget: { requests: 1 } });
    const holding = await open();
    await holding.write(`${post("/invocations", "text/csv", CSV_ROW.length * 2)}${CSV_ROW}`);
    await until(() => app.inFlight.requests === 1, "the first request is admitted");
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

  it("answers /ping between the parses of large JSON bodies that end in the same turn", async () => {
    const { app, port, open } = await serve();
    // 10,000 measurement objects (the /predict limit), padded to just under its 1 MiB
    const pad = "0".repeat(7);
    const row = `{"sepal_length":5.1${pad},"sepal_width":3.5${pad},"petal_length":1.4${pad},"petal_width":0.2}`;
    const body = `[${Array.from({ length: 10_000 }, () => row).join(",")}]`;
    const wire = Buffer.from(`${post("/predict", "application/json", body.length)}${body}`);
    const connections = await Promise.all(Array.from({ length: 48 }, () => open()));
    await Promise.all(connections.map((c) => c.write(wire.subarray(0, wire.length - 1))));
    await sleep(300);
    let heldMax = 0;
    const sampler = setInterval(() => {
      heldMax = Math.max(heldMax, app.inFlight.bytes);
    }, 5);
    // the last bytes together: the bodies end in one turn of the server's event loop. Parsed
    // back to back (one ~60 ms step each), /ping waited 2.2-3.3 s; one a turn, 0.2-0.25 s
    for (const connection of connections) void connection.write(wire.subarray(wire.length - 1));
    const ping = await pingMs(port);
    const answers = await Promise.all(connections.map((c) => c.response(60_000)));
    clearInterval(sampler);
    for (const answer of answers) assert.equal(answer.status, 200);
    assert.ok(ping < 1000, `/ping took ${Math.round(ping)} ms behind 48 bodies`);
    assert.ok(heldMax <= app.inFlight.budget.bytes, `${heldMax} bytes held`);
  });

  it("holds next to nothing for answers nobody reads: under the byte budget, no one locked out, /ping answered", async () => {
    const budget = 16 * 1024 * 1024;
    const { app, port, open } = await serve({ budget: { bytes: budget } });
    // a 1 MiB CSV batch answered in JSON is 6 MB: more than the sockets' buffers take
    const body = csvBody(1024 * 1024);
    const rows = body.length / CSV_ROW.length;
    const unreadCount = 20;
    // encoded once: the client's own work must not be what keeps /ping waiting
    const wire = Buffer.from(
      `${post("/invocations", "text/csv", body.length, "application/json")}${body}`,
    );
    let heldMax = 0;
    // the test's process has run other suites: what counts is how far this one takes it
    const rssBefore = process.memoryUsage.rss();
    let rssMax = rssBefore;
    const sampler = setInterval(() => {
      heldMax = Math.max(heldMax, app.inFlight.bytes);
      rssMax = Math.max(rssMax, process.memoryUsage.rss());
    }, 5);
    let pingWorst = 0;
    let probing = true;
    const probes = (async () => {
      while (probing) {
        pingWorst = Math.max(pingWorst, await pingMs(port));
        await sleep(50);
      }
    })();
    try {
      // twenty batches, 120 MB of answers against a 16 MiB budget, never read
      const unread = await Promise.all(Array.from({ length: unreadCount }, () => open()));
      for (const connection of unread) connection.pause();
      await Promise.all(unread.map((connection) => connection.write(wire)));
      // a small request gets in once the batches are predicted: their answers hold the
      // budget no longer than that (it was held until the 30 s write deadline cut them)
      let small = 0;
      const deadline = Date.now() + 20_000;
      while (small !== 200 && Date.now() < deadline) {
        const connection = await open();
        await connection.write(`${post("/invocations", "text/csv", CSV_ROW.length)}${CSV_ROW}`);
        small = (await connection.response()).status;
        if (small !== 200) await sleep(200);
      }
      assert.equal(small, 200, "a small request was refused while answers sat unread");
      // once the server is done with them, what the unread answers hold: each its rows'
      // references (4 bytes a row), not its 6 MB of text
      const bound = unreadCount * rows * 8;
      let held = app.inFlight.bytes;
      for (let turns = 0; held >= bound && turns < 200; turns++) {
        await sleep(100);
        held = app.inFlight.bytes;
      }
      assert.ok(held < bound, `${held} bytes still held for unread answers`);
    } finally {
      clearInterval(sampler);
      probing = false;
      await probes;
    }
    assert.ok(heldMax <= budget, `${heldMax} bytes held against a budget of ${budget}`);
    const grown = Math.round((rssMax - rssBefore) / 2 ** 20);
    assert.ok(grown < 256, `RSS grew by ${grown} MB`);
    assert.ok(pingWorst < 1000, `/ping took ${Math.round(pingWorst)} ms`);
  });

  it("writes a big answer whole, as fast as a slow reader takes it, under its Content-Length", async () => {
    const { open } = await serve();
    const body = csvBody(1024 * 1024);
    const connection = await open();
    connection.pause();
    await connection.write(
      `${post("/invocations", "text/csv", body.length, "application/json")}${body}`,
    );
    await sleep(500); // the socket's buffers fill; the server waits for them to drain
    connection.resume();
    const res = await connection.response(30_000);
    assert.equal(res.status, 200);
    const expected = formatInvocation(
      "application/json",
      model.predictor.predictBatch(parseInvocation("text/csv", body)),
      model.modelVersion,
    );
    assert.equal(Number(res.headers["content-length"]), Buffer.byteLength(expected));
    assert.equal(res.body, expected);
  });

  it("refuses a big batch whose last row is bad with a 400, never a 200 cut short", async () => {
    const { open } = await serve();
    const body = `${csvBody(3 * 1024 * 1024)}5.1,3.5,1.4,oops\n`;
    const connection = await open();
    await connection.write(
      `${post("/invocations", "text/csv", body.length, "application/json")}${body}`,
    );
    const res = await connection.response(30_000);
    assert.equal(res.status, 400);
    const lines = body.split("\n").length - 1;
    assert.match(expectErrorBody(res.body, "bad_input").message, new RegExp(`line ${lines}`));
  });
});
