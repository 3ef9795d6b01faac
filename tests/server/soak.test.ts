/**
 * The heap over a soak: thousands of mixed requests, good and bad, over keep-alive and new
 * connections, against the server in its own process (run with --expose-gc); after a
 * collection its heap must have grown by no more than the documented bound (docs/api.md,
 * Limits). A leak of a few hundred bytes a request (a socket, a response, a timer kept) passes
 * it; the first run, which warms the code up, is not counted.
 */
import assert from "node:assert/strict";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { RawConnection } from "../helpers/raw-http.js";
import { Spawned } from "../helpers/spawned.js";

/** Heap growth allowed over the soak, after a collection. */
const HEAP_GROWTH_BYTES = 2 * 1024 * 1024;
/** Requests in the soak: on keep-alive connections, and each on a new connection. */
const KEEP_ALIVE_REQUESTS = 2400;
const NEW_CONNECTION_REQUESTS = 1200;

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const post = (path: string, type: string, body: string, accept = "application/json") =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAccept: ${accept}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

interface Shot {
  wire: string;
  status: number;
}

/** Requests after whose answer the connection stays usable. */
const KEEP_ALIVE: Shot[] = [
  { wire: post("/predict", "application/json", ROW), status: 200 },
  { wire: post("/invocations", "text/csv", CSV_ROW.repeat(3), "text/csv"), status: 200 },
  // an answer over 64 KiB, written as the socket takes it
  { wire: post("/invocations", "text/csv", CSV_ROW.repeat(2000)), status: 200 },
  { wire: get("/ping"), status: 200 },
  { wire: get("/health"), status: 200 },
  { wire: post("/predict", "application/json", "{"), status: 400 },
  { wire: post("/predict", "application/json", '{"instances":[[5.1,3.5,1.4,-1]]}'), status: 400 },
  { wire: post("/invocations", "text/csv", `${CSV_ROW}5.1,x,1.4,0.2\n`), status: 400 },
  { wire: get("/nowhere"), status: 404 },
  { wire: get("/predict"), status: 405 },
  { wire: post("/invocations", "image/png", "x"), status: 415 },
  { wire: post("/invocations", "text/csv", CSV_ROW, "image/png"), status: 406 },
];

/** Requests answered with the connection closed (or that leave it unusable). */
const CLOSING: Shot[] = [
  { wire: "NOT HTTP\r\n\r\n", status: 400 },
  {
    wire: "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    status: 501,
  },
  { wire: "GET /ping HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", status: 400 },
  {
    wire: "POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 9999999\r\n\r\n",
    status: 413,
  },
  { wire: "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\r\n", status: 413 },
  { wire: "GET /ping HTTP/1.1\r\n\r\n", status: 400 },
];

describe("server heap over a soak of mixed requests (its own process, --expose-gc)", function () {
  this.timeout(120_000);
  let model: TrainedModel;
  let server: Spawned;
  let port: number;

  before(async () => {
    model = await trainedModel();
    server = Spawned.start("tests/helpers/heap-server.ts", [model.tarballPath], {}, [
      "--expose-gc",
    ]);
    port = Number((await server.waitFor(/listening (\d+)/))[1]);
  });
  after(async () => {
    server.kill("SIGTERM");
    await server.exit();
  });

  async function heapUsed(): Promise<number> {
    const before = server.stdout.length;
    server.kill("SIGUSR2");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const match = /heap (\d+)\n/.exec(server.stdout.slice(before));
      if (match) return Number(match[1]);
      if (Date.now() > deadline) throw new Error(`no heap reading:\n${server.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Send `count` requests, `workers` at a time; every answer must be the expected status. */
  async function soak(keepAlive: number, newConnections: number): Promise<void> {
    const wrong: string[] = [];
    const check = (shot: Shot, status: number) => {
      if (status !== shot.status && wrong.length < 5)
        wrong.push(`${JSON.stringify(shot.wire.slice(0, 60))}: ${status}`);
    };
    const keepAliveWorker = async (offset: number, count: number) => {
      let connection = await RawConnection.open(port);
      for (let i = 0; i < count; i++) {
        const shot = KEEP_ALIVE[(offset + i) % KEEP_ALIVE.length] as Shot;
        if (connection.closed) connection = await RawConnection.open(port);
        connection.received = "";
        await connection.write(shot.wire);
        check(shot, (await connection.response()).status);
      }
      connection.destroy();
    };
    const newConnectionWorker = async (offset: number, count: number) => {
      for (let i = 0; i < count; i++) {
        const shot = CLOSING[(offset + i) % CLOSING.length] as Shot;
        const connection = await RawConnection.open(port);
        await connection.write(shot.wire);
        check(shot, (await connection.response()).status);
        connection.destroy();
      }
    };
    await Promise.all([
      ...[0, 1, 2, 3].map((w) => keepAliveWorker(w * 3, keepAlive / 4)),
      ...[0, 1].map((w) => newConnectionWorker(w * 3, newConnections / 2)),
    ]);
    assert.deepEqual(wrong, [], "answers with another status than expected");
  }

  it(`grows the heap by less than ${HEAP_GROWTH_BYTES / 2 ** 20} MiB over ${KEEP_ALIVE_REQUESTS + NEW_CONNECTION_REQUESTS} mixed requests`, async () => {
    // warm up: compiled code, inline caches and node's pools are not a leak
    await soak(KEEP_ALIVE_REQUESTS / 4, NEW_CONNECTION_REQUESTS / 4);
    const before = await heapUsed();
    await soak(KEEP_ALIVE_REQUESTS, NEW_CONNECTION_REQUESTS);
    const after = await heapUsed();
    assert.ok(
      after - before < HEAP_GROWTH_BYTES,
      `heap grew by ${after - before} bytes (${before} → ${after})`,
    );
  });
});
