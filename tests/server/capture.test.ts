/**
 * Capture on the local server and the container (server/capture-sink.ts, issue #11), over real
 * HTTP on 127.0.0.1: sampled /predict and /invocations answers become capture lines under
 * <dir>/server/yyyy/mm/dd/hh/, written before close() resolves, read back through readCapture;
 * nothing at a sample of 0; a full, throwing or hanging sink never changes an answer, and what
 * it drops is counted (also at GET /metrics); the container's lines on standard output.
 */
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Predictor } from "../../core/predictor.js";
import { newReadStats, readCapture } from "../../monitoring/capture-read.js";
import type { CaptureRecord } from "../../monitoring/types.js";
import {
  type CaptureSink,
  fileCaptureSink,
  ServerCapture,
  serverCaptureFrom,
  stdoutCaptureSink,
} from "../../server/capture-sink.js";
import { AppServers } from "../helpers/app-servers.js";
import { rowOf, SETOSA, tempDir, trainedModel, VIRGINICA } from "../helpers/model.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { Spawned } from "../helpers/spawned.js";

const NOT_IRIS = [50, 50, 50, 50];

async function readAll(dir: string): Promise<CaptureRecord[]> {
  const records: CaptureRecord[] = [];
  for await (const record of readCapture(dir)) records.push(record);
  return records;
}

/** Every file under `dir`, relative, with / between folders. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** The requests of every test, each with the rows it sends; answers are compared as bytes. */
const REQUESTS: { path: string; type: string; accept?: string; body: string; rows: number[][] }[] =
  [
    {
      path: "/predict",
      type: "application/json",
      body: JSON.stringify(SETOSA),
      rows: [rowOf(SETOSA)],
    },
    {
      path: "/predict",
      type: "application/json",
      body: JSON.stringify({ instances: [rowOf(VIRGINICA), NOT_IRIS] }),
      rows: [rowOf(VIRGINICA), NOT_IRIS],
    },
    {
      path: "/invocations",
      type: "text/csv",
      accept: "text/csv",
      body: `${rowOf(SETOSA).join(",")}\n${rowOf(VIRGINICA).join(",")}\n`,
      rows: [rowOf(SETOSA), rowOf(VIRGINICA)],
    },
    {
      path: "/invocations",
      type: "application/jsonlines",
      body: `${JSON.stringify(rowOf(VIRGINICA))}\n`,
      rows: [rowOf(VIRGINICA)],
    },
  ];

async function send(base: string): Promise<string[]> {
  const answers: string[] = [];
  for (const { path, type, accept, body } of REQUESTS) {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": type, ...(accept ? { accept } : {}), "x-secret": "never" },
      body,
    });
    assert.equal(res.status, 200);
    answers.push(await res.text());
  }
  return answers;
}

describe("server/capture-sink.ts: capture on the server and the container", () => {
  let predictor: Predictor;
  const servers = new AppServers();
  let baseline: string[];
  before(async () => {
    predictor = (await trainedModel()).predictor;
    const { port } = await servers.serve(predictor);
    baseline = await send(`http://127.0.0.1:${port}`);
    await servers.closeAll();
  });
  afterEach(() => servers.closeAll());

  it("writes every sampled request under server/yyyy/mm/dd/hh/, flushed by close, read back whole", async () => {
    const dir = await tempDir("capture-server-");
    const capture = new ServerCapture("server", () => true, fileCaptureSink(dir));
    const { app, port } = await servers.serve(predictor, { capture });
    const answers = await send(`http://127.0.0.1:${port}`);
    assert.deepEqual(answers, baseline);
    await app.close();
    const files = await filesUnder(dir);
    assert.equal(files.length, 1);
    assert.match(files[0] as string, /^server\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+\.jsonl$/);
    const text = await readFile(join(dir, files[0] as string), "utf8");
    assert.equal(text.trim().split("\n").length, REQUESTS.length, "one line per request");
    assert.doesNotMatch(text, /x-secret|never|127\.0\.0\.1|content-type/);
    const records = await readAll(dir);
    assert.deepEqual(
      records.map((r) => r.features),
      REQUESTS.flatMap((r) => r.rows),
    );
    const expected = REQUESTS.flatMap((r) => predictor.predictBatch(r.rows));
    assert.deepEqual(
      records.map(({ species, probabilities, is_iris }) => ({ species, probabilities, is_iris })),
      expected,
    );
    assert.ok(
      records.every((r) => r.door === "server" && r.model_version === predictor.modelVersion),
    );
    assert.deepEqual(capture.stats, { captured: REQUESTS.length, dropped: 0, failed: 0 });
  });

  it("captures nothing when the sampler says no", async () => {
    const dir = await tempDir("capture-none-");
    const capture = new ServerCapture("server", () => false, fileCaptureSink(dir));
    const { app, port } = await servers.serve(predictor, { capture });
    assert.deepEqual(await send(`http://127.0.0.1:${port}`), baseline);
    await app.close();
    assert.deepEqual(await filesUnder(dir), []);
    assert.equal(
      serverCaptureFrom({ door: "server", dir, env: { CAPTURE_SAMPLE: "0" } }),
      undefined,
    );
  });

  it("answers byte for byte the same with a full, a throwing or a hanging sink, counting the losses", async () => {
    const dir = await tempDir("capture-full-");
    const sinks: [string, CaptureSink][] = [
      ["full", fileCaptureSink(dir, { maxQueuedBytes: 10 })],
      [
        "throwing",
        {
          write: () => {
            throw new Error("disk on fire");
          },
        },
      ],
      ["rejecting", { write: () => Promise.reject(new Error("later")) }],
      ["hanging", { write: () => new Promise(() => undefined) }],
    ];
    for (const [name, sink] of sinks) {
      const capture = new ServerCapture("server", () => true, sink);
      const { app, port } = await servers.serve(predictor, { capture });
      const base = `http://127.0.0.1:${port}`;
      assert.deepEqual(await send(base), baseline, name);
      const metrics = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
      await new Promise((resolve) => setImmediate(resolve));
      const stats = capture.stats;
      const outcome = (o: string) =>
        sampleValue(metrics, "iris_capture_lines_total", { outcome: o });
      if (name === "full") {
        assert.deepEqual(stats, { captured: 0, dropped: REQUESTS.length, failed: 0 });
        assert.equal(outcome("dropped"), REQUESTS.length);
      }
      if (name === "throwing" || name === "rejecting") {
        assert.deepEqual(stats, { captured: 0, dropped: 0, failed: REQUESTS.length });
        assert.equal(outcome("failed"), REQUESTS.length);
      }
      if (name === "hanging") assert.equal(outcome("captured"), REQUESTS.length);
      await app.close();
    }
    assert.deepEqual(await filesUnder(dir), []);
  });

  it("keeps the write queue within its bytes: what does not fit is dropped, never held", async () => {
    const dir = await tempDir("capture-queue-");
    const line = "x".repeat(99);
    const sink = fileCaptureSink(dir, { maxQueuedBytes: 1000 });
    const taken = Array.from({ length: 100 }, () => sink.write(line)).filter((t) => t === true);
    assert.equal(taken.length, 10);
    await sink.close?.();
    const [file] = await filesUnder(dir);
    const text = await readFile(join(dir, file as string), "utf8");
    assert.equal(text, `${line}\n`.repeat(10));
  });

  it("prints capture lines on standard output for the container (CAPTURE_LOG), dropping while it lags", async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const capture = new ServerCapture("sagemaker", () => true, stdoutCaptureSink(out));
    const { app, port } = await servers.serve(predictor, { capture });
    assert.deepEqual(await send(`http://127.0.0.1:${port}`), baseline);
    await app.close();
    const dir = await tempDir("capture-stdout-");
    await writeFile(join(dir, "container.log"), chunks.join(""));
    const stats = newReadStats();
    const records: CaptureRecord[] = [];
    for await (const record of readCapture(dir, { stats })) records.push(record);
    assert.equal(records.length, REQUESTS.flatMap((r) => r.rows).length);
    assert.ok(records.every((r) => r.door === "sagemaker"));
    const lagging = stdoutCaptureSink({ writableLength: 2_000_000 } as unknown as Writable);
    assert.equal(lagging.write("{}"), false);
  });

  describe("iris-mlops serve --capture-dir (the CLI as a process)", () => {
    const started: Spawned[] = [];
    after(() => {
      for (const cli of started) cli.kill("SIGKILL");
    });
    const serve = (args: string[], env: Record<string, string>) => {
      const cli = Spawned.start("cli/main.ts", ["serve", "--port", "0", ...args], {
        LOG_LEVEL: "warn",
        ...env,
      });
      started.push(cli);
      return cli;
    };

    it("captures every request at CAPTURE_SAMPLE=1 and has written them all when SIGTERM's stop ends", async () => {
      const dir = await tempDir("capture-cli-");
      const { dir: model } = await trainedModel();
      const cli = serve(["--model", model, "--capture-dir", dir], { CAPTURE_SAMPLE: "1" });
      const [, address] = await cli.waitFor(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      assert.deepEqual(await send(address as string), baseline);
      cli.kill("SIGTERM");
      assert.deepEqual(await cli.exit(), { code: 0, signal: null }, cli.output);
      const records = await readAll(dir);
      assert.deepEqual(
        records.map((r) => r.features),
        REQUESTS.flatMap((r) => r.rows),
      );
    });

    it("exits 2 on a bad CAPTURE_SAMPLE, saying what to set", async () => {
      const cli = serve(["--capture-log"], { CAPTURE_SAMPLE: "10%" });
      assert.deepEqual(await cli.exit(), { code: 2, signal: null }, cli.output);
      assert.match(cli.stderr, /CAPTURE_SAMPLE: .*from 0 \(off\) to 1.*got "10%"/);
    });
  });

  it("refuses a bad CAPTURE_SAMPLE or both sinks at start, with a message saying what to send", () => {
    for (const bad of ["abc", "-0.1", "1.5", "10%", "NaN"])
      assert.throws(
        () => serverCaptureFrom({ door: "server", log: true, env: { CAPTURE_SAMPLE: bad } }),
        /CAPTURE_SAMPLE: .*from 0 \(off\) to 1/,
      );
    assert.throws(
      () => serverCaptureFrom({ door: "server", dir: "/tmp", log: true, env: {} }),
      /not both/,
    );
  });
});
