/**
 * The in-flight request slots over real sockets: a pipelined request whose connection dies
 * before its answer got the socket gives its slot back, and a few connections that pipeline
 * and never read hold only their share of the slots, not all of them.
 */
import assert from "node:assert/strict";
import type { AppOptions } from "../../server/app.js";
import { DEFAULT_IN_FLIGHT } from "../../server/in-flight.js";
import { AppServers, type Served } from "../helpers/app-servers.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const ROW = "[5.1,3.5,1.4,0.2]";
const post = (path: string, type: string, body: string, accept = type) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAccept: ${accept}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const predict = (rows: number) =>
  post("/predict", "application/json", `[${Array(rows).fill(ROW).join(",")}]`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `done` every 20 ms for at most `limitMs`; true when it came true. */
async function eventually(done: () => boolean, limitMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Two /predict requests in flight at once (each body half sent), then both finished. */
async function twoOverlappingPosts(served: Served): Promise<number[]> {
  const body = `[${ROW}]`;
  const head = `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const clients = await Promise.all([served.open(), served.open()]);
  for (const client of clients) await client.write(head + body.slice(0, 5));
  await sleep(100);
  for (const client of clients) await client.write(body.slice(5));
  return Promise.all(clients.map(async (client) => (await client.response()).status));
}

describe("server/in-flight.ts slots (over sockets)", function () {
  this.timeout(60_000);
  let model: TrainedModel;
  const servers = new AppServers();
  const serve = (options: Partial<AppOptions> = {}) => servers.serve(model.predictor, options);

  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  it("gives back the slots and bytes of pipelined requests whose connection closed unread", async () => {
    const queued = 3;
    // room for the attack and one request more: a leaked slot makes the second POST a 503
    const served = await serve({ budget: { requests: queued + 2, perConnection: queued + 1 } });
    const { app } = served;
    const attacker = await served.open();
    attacker.pause();
    // a big JSON answer the client never reads, with small requests queued behind it
    const big = post("/invocations", "text/csv", CSV_ROW.repeat(65536), "application/json");
    await attacker.write(big + predict(1).repeat(queued));
    assert.ok(
      await eventually(() => app.inFlight.requests === queued + 1),
      `requests in flight: ${app.inFlight.requests}`,
    );
    await sleep(200);
    attacker.destroy();
    const drained = await eventually(() => app.inFlight.requests === 0 && app.inFlight.bytes === 0);
    assert.ok(
      drained,
      `after the connection closed: ${app.inFlight.requests} requests, ${app.inFlight.bytes} bytes`,
    );
    assert.deepEqual(await twoOverlappingPosts(served), [200, 200]);
  });

  it("keeps other clients served while connections that pipeline and never read hold their share", async () => {
    const served = await serve();
    const { app } = served;
    const share = DEFAULT_IN_FLIGHT.perConnection;
    const stuck = await Promise.all(Array.from({ length: 8 }, () => served.open()));
    for (const client of stuck) {
      client.pause();
      void client.write(predict(450).repeat(150));
    }
    // the stuck connections take what they can: all the budget before the share existed
    await eventually(() => app.inFlight.requests >= Math.min(64, 8 * share), 3000);
    await sleep(500);
    assert.ok(
      app.inFlight.requests <= 8 * share,
      `${app.inFlight.requests} requests in flight on 8 connections`,
    );
    assert.deepEqual(await twoOverlappingPosts(served), [200, 200]);
  });
});
