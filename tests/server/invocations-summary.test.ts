/**
 * The invocations summary (server/invocations-summary.ts): the /invocations answers counted per
 * model version and written as one log line per version, per interval with answers and at stop,
 * in the shape docs/container.md gives (the stack's log metric filters read it). Counted over
 * real sockets under a bounded burst of good and bad requests, and at the stop of a server run
 * as a process and stopped with SIGTERM, as SageMaker stops the container.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Predictor } from "../../core/predictor.js";
import { InvocationsSummary } from "../../server/invocations-summary.js";
import { createLogger } from "../../server/log.js";
import { AppServers } from "../helpers/app-servers.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { Spawned } from "../helpers/spawned.js";

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const SUMMARY_FIELDS = [
  "level",
  "time",
  "pid",
  "hostname",
  "modelVersion",
  "invocations",
  "clientErrors",
  "serverErrors",
  "latencyMsSum",
  "latencyMsMax",
  "msg",
];

/** A logger that keeps its lines, and the summary lines among them. */
function keptLog() {
  const lines: string[] = [];
  const logger = createLogger("info", (line) => lines.push(line));
  const summaries = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.msg === "invocations summary");
  return { logger, summaries };
}

/** The /invocations requests of a burst and how many of each: what, the request, the status. */
const BURST: [string, { type: string; accept: string; body: string }, number, number][] = [
  ["CSV", { type: "text/csv", accept: "text/csv", body: CSV_ROW.repeat(3) }, 200, 5],
  ["JSON", { type: "application/json", accept: "*/*", body: "[[5.1,3.5,1.4,0.2]]" }, 200, 4],
  [
    "a streamed answer",
    { type: "text/csv", accept: "text/csv", body: CSV_ROW.repeat(10_000) },
    200,
    1,
  ],
  ["a bad CSV row", { type: "text/csv", accept: "text/csv", body: "1,2\n" }, 400, 3],
  ["bad JSON", { type: "application/json", accept: "*/*", body: "{" }, 400, 1],
  ["an unsupported Content-Type", { type: "text/plain", accept: "*/*", body: CSV_ROW }, 415, 2],
  [
    "an unacceptable Accept",
    { type: "text/csv", accept: "application/xml", body: CSV_ROW },
    406,
    1,
  ],
];

function expectShape(line: Record<string, unknown>) {
  assert.deepEqual(Object.keys(line), SUMMARY_FIELDS, "pino's shape, msg last");
  assert.equal(line.level, 30);
  const { latencyMsSum, latencyMsMax, invocations } = line as {
    latencyMsSum: number;
    latencyMsMax: number;
    invocations: number;
  };
  assert.ok(latencyMsMax > 0 && latencyMsMax <= latencyMsSum, JSON.stringify(line));
  assert.ok(latencyMsSum <= latencyMsMax * invocations + 0.001, JSON.stringify(line));
}

describe("the invocations summary", () => {
  let model: TrainedModel;
  const servers = new AppServers();
  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  const send = (port: number, { type, accept, body }: (typeof BURST)[number][1]) =>
    fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "content-type": type, accept },
      body,
    });

  it("counts a burst of good and bad /invocations requests, and only those, in one line at stop", async () => {
    const { logger, summaries } = keptLog();
    const { app, port } = await servers.serve(model.predictor, { logger });
    const sends: Promise<Response>[] = [];
    for (const [, request, , times] of BURST)
      for (let i = 0; i < times; i++) sends.push(send(port, request));
    // other routes, and a wrong method on /invocations (answered by the router), are not counted
    sends.push(fetch(`http://127.0.0.1:${port}/predict`, { method: "POST", body: "[1,1,1,1]" }));
    sends.push(fetch(`http://127.0.0.1:${port}/ping`));
    sends.push(fetch(`http://127.0.0.1:${port}/invocations`));
    const answers = await Promise.all(sends);
    const expected = BURST.flatMap(([, , status, times]) => Array(times).fill(status));
    assert.deepEqual(
      answers.slice(0, expected.length).map((res) => res.status),
      expected,
    );
    await Promise.all(answers.map((res) => res.arrayBuffer()));
    assert.deepEqual(summaries(), [], "nothing before a minute has passed");

    await app.close();
    const lines = summaries();
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const line = lines[0] as Record<string, unknown>;
    expectShape(line);
    assert.equal(line.modelVersion, model.modelVersion);
    assert.equal(line.invocations, expected.length);
    assert.equal(line.clientErrors, expected.filter((status) => status >= 400).length);
    assert.equal(line.serverErrors, 0);
  });

  it("counts 5xx answers as serverErrors", async () => {
    const { logger, summaries } = keptLog();
    const broken: Predictor = {
      ...model.predictor,
      predictBatch: () => {
        throw new Error("boom");
      },
      // the path CSV and JSON-lines bodies take
      predictColumns: () => {
        throw new Error("boom");
      },
    };
    const { app, port } = await servers.serve(broken, { logger });
    for (let i = 0; i < 3; i++) {
      const res = await send(port, { type: "text/csv", accept: "text/csv", body: CSV_ROW });
      assert.equal(res.status, 500);
    }
    await app.close();
    const [line, ...more] = summaries();
    assert.deepEqual(more, []);
    assert.deepEqual([line?.invocations, line?.clientErrors, line?.serverErrors], [3, 0, 3]);
  });

  it("counts a request still in flight when the stop begins, once it is answered", async () => {
    const { logger, summaries } = keptLog();
    const { app, open } = await servers.serve(model.predictor, { logger });
    const connection = await open();
    await connection.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${CSV_ROW.length}\r\n\r\n`,
    );
    // the route has the request (admitted, its body awaited) before the stop begins
    for (let waited = 0; app.inFlight.requests === 0; waited += 10) {
      assert.ok(waited < 5_000, "the request never reached the route");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const closed = app.close();
    await connection.write(CSV_ROW);
    assert.equal((await connection.response()).status, 200);
    await closed;
    assert.deepEqual(
      summaries().map((line) => line.invocations),
      [1],
    );
  });

  it("counts no answer queued behind another on a pipelining connection that went away", async () => {
    // found by review: such an answer has headersSent but never had the socket, and emits no
    // 'close' (server/gone.ts): it was held until stop and then counted as sent
    const { logger, summaries } = keptLog();
    const { app, port } = await servers.serve(model.predictor, { logger });
    const post = (body: string, accept: string) =>
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nAccept: ${accept}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const CONNECTIONS = 3;
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = connect(port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      // read only the big answer's first bytes, then nothing: it blocks, the small ones queue
      // behind it. Waiting for those bytes (not a fixed time) keeps a loaded machine from
      // cutting the connection before the big answer has even started.
      const started = new Promise((resolve) =>
        socket.once("data", () => {
          socket.pause();
          resolve(undefined);
        }),
      );
      socket.write(
        post(CSV_ROW.repeat(65_536), "application/json") + post(CSV_ROW, "text/csv").repeat(5),
      );
      await started;
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await app.close();
    const counted = summaries().reduce((sum, line) => sum + Number(line.invocations), 0);
    assert.equal(counted, CONNECTIONS, "the big answers being written when cut, nothing queued");
  });

  it("writes nothing at stop when nothing was answered", async () => {
    const { logger, summaries } = keptLog();
    const { app, port } = await servers.serve(model.predictor, { logger });
    await (await fetch(`http://127.0.0.1:${port}/ping`)).arrayBuffer();
    await app.close();
    assert.deepEqual(summaries(), []);
  });

  describe("InvocationsSummary on its own, with a short interval", () => {
    const INTERVAL_MS = 20;
    /** Wait until `summaries()` has `count` lines; fails after a generous bound. */
    async function until(summaries: () => unknown[], count: number) {
      for (let waited = 0; summaries().length < count; waited += INTERVAL_MS) {
        if (waited > 5_000) assert.fail(`${summaries().length} lines, not ${count}, after 5 s`);
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      }
    }

    it("writes a line per version in each interval with answers, none in an idle one, and starts each from zero", async () => {
      const { logger, summaries } = keptLog();
      const summary = new InvocationsSummary(logger, INTERVAL_MS);
      try {
        summary.count("aaaaaaaaaaaaaaaa", 200, 2);
        summary.count("aaaaaaaaaaaaaaaa", 404, 4);
        summary.count("bbbbbbbbbbbbbbbb", 503, 1);
        await until(summaries, 2);
        assert.deepEqual(summaries(), [
          {
            ...summaries()[0],
            modelVersion: "aaaaaaaaaaaaaaaa",
            invocations: 2,
            clientErrors: 1,
            serverErrors: 0,
            latencyMsSum: 6,
            latencyMsMax: 4,
          },
          {
            ...summaries()[1],
            modelVersion: "bbbbbbbbbbbbbbbb",
            invocations: 1,
            clientErrors: 0,
            serverErrors: 1,
            latencyMsSum: 1,
            latencyMsMax: 1,
          },
        ]);
        // idle intervals write nothing
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 5));
        assert.equal(summaries().length, 2);
        summary.count("aaaaaaaaaaaaaaaa", 200, 0.0004);
        await until(summaries, 3);
        const third = summaries()[2];
        assert.deepEqual(
          [third?.invocations, third?.latencyMsSum, third?.latencyMsMax],
          [1, 0, 0],
          "counted from zero, latency to the microsecond",
        );
      } finally {
        summary.stop();
      }
      assert.equal(summaries().length, 3, "nothing left to write at stop");
    });

    it("counts at stop the answers whose 'close' has not come: those cut at the end of the grace", () => {
      const { logger, summaries } = keptLog();
      const summary = new InvocationsSummary(logger, 60_000);
      const answer = (statusCode: number, headersSent: boolean) =>
        Object.assign(new EventEmitter(), {
          statusCode,
          headersSent,
          // being written on its own connection, whose socket is still open
          writableFinished: false,
          socket: {},
          req: { socket: Object.assign(new EventEmitter(), { closed: false }) },
        }) as unknown as ServerResponse;
      const closed = answer(200, true);
      const cut = [answer(200, true), answer(200, true)];
      const neverStarted = answer(200, false);
      for (const res of [closed, ...cut, neverStarted]) summary.track(res, "aaaaaaaaaaaaaaaa");
      closed.emit("close");
      summary.stop();
      // the process exits right after stop(): a 'close' that comes later counts nothing twice
      for (const res of cut) res.emit("close");
      assert.deepEqual(
        summaries().map((line) => [line.invocations, line.clientErrors, line.serverErrors]),
        [[3, 0, 0]],
      );
    });
  });

  it("is written by a server stopped with SIGTERM (the shutdown path the container shares)", async () => {
    const server = Spawned.start(
      "cli/main.ts",
      ["serve", "--model", model.dir, "--port", "0", "--host", "127.0.0.1"],
      { LOG_LEVEL: "info", PORT: undefined },
    );
    try {
      const [, base] = await server.waitFor(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      const statuses: number[] = [];
      for (const [, request, , times] of BURST.filter(([what]) => what !== "a streamed answer"))
        for (let i = 0; i < times; i++) {
          const res = await fetch(`${base}/invocations`, {
            method: "POST",
            headers: { "content-type": request.type, accept: request.accept },
            body: request.body,
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      server.kill("SIGTERM");
      assert.deepEqual(await server.exit(), { code: 0, signal: null }, server.output);
      const lines = server.stdout
        .split("\n")
        .filter((line) => line.includes('"msg":"invocations summary"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(lines.length, 1, server.output);
      const line = lines[0] as Record<string, unknown>;
      expectShape(line);
      assert.equal(line.modelVersion, model.modelVersion);
      assert.equal(line.invocations, statuses.length);
      assert.equal(line.clientErrors, statuses.filter((status) => status >= 400).length);
      // the line comes after the stop began: written on the way out
      assert.ok(
        server.stdout.indexOf('"msg":"stopping"') < server.stdout.indexOf("invocations summary"),
      );
    } finally {
      server.kill("SIGKILL");
    }
  });
});
