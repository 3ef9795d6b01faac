/**
 * Issue #11 end to end, every step a real process: `iris-mlops traffic` writes each mix,
 * `iris-mlops drift` reads it from a folder or from S3 (s3rver on 127.0.0.1) with the exit code
 * docs/monitoring.md promises, `--report` writes the HTML, and what `iris-mlops serve
 * --capture-dir` captures of real HTTP requests is what drift counts.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { EXIT_CODES } from "../../cli/drift.js";
import type { DriftReport } from "../../monitoring/types.js";
import { runCli } from "../helpers/cli.js";
import { rowOf, SETOSA, VIRGINICA } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";
import { Spawned } from "../helpers/spawned.js";
import { type TrainedModel, tempDir, trainedModel } from "../helpers/trained.js";

const ROWS = 400;
const EXPECTED = { iris: "ok", shifted: "drift", "not-iris": "drift" } as const;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("issue #11 end to end: traffic -> drift -> report, serve -> drift, S3", function () {
  this.timeout(180_000);
  let model: TrainedModel;
  const captures: Record<string, string> = {};

  before(async () => {
    model = await trainedModel();
    for (const mix of Object.keys(EXPECTED)) {
      const out = tempDir(`iris-traffic-${mix}-`);
      const made = await runCli([
        "traffic",
        "--mix",
        mix,
        "--rows",
        String(ROWS),
        "--seed",
        "7",
        "--out",
        out,
        "--model",
        model.dir,
      ]);
      assert.equal(made.code, 0, made.stderr);
      captures[mix] = out;
    }
  });

  const drift = (capture: string, extra: string[] = [], env?: Record<string, string>) =>
    runCli(
      ["drift", "--model", model.dir, "--capture", capture, "--since", "30d", "--json", ...extra],
      { env },
    );

  for (const [mix, verdict] of Object.entries(EXPECTED)) {
    it(`${mix} traffic: drift exits ${EXIT_CODES[verdict]} (${verdict}) with the figures in JSON`, async () => {
      const result = await drift(captures[mix] as string);
      assert.equal(result.code, EXIT_CODES[verdict], result.stderr);
      const report = JSON.parse(result.stdout) as DriftReport;
      assert.equal(report.verdict, verdict);
      assert.equal(report.model_version, model.predictor.modelVersion);
      assert.equal(report.overall.rows, ROWS);
      const worstPsi = Math.max(...report.overall.features.map((f) => f.psi));
      const share = report.overall.not_iris_share;
      const t = report.thresholds;
      if (mix === "iris") {
        assert.ok(worstPsi < t.psi.warn, `iris PSI ${worstPsi}`);
        assert.ok(share < t.not_iris_share.warn, `iris not-Iris share ${share}`);
      } else if (mix === "shifted") {
        assert.ok(worstPsi >= t.psi.drift, `shifted PSI ${worstPsi}`);
      } else {
        assert.ok(share >= t.not_iris_share.drift, `not-iris share ${share}`);
      }
    });
  }

  it("--report writes one self-contained HTML page with its charts", async () => {
    const file = join(tempDir("iris-drift-report-"), "drift.html");
    const result = await drift(captures.shifted as string, ["--report", file]);
    assert.equal(result.code, EXIT_CODES.drift, result.stderr);
    const html = await readFile(file, "utf8");
    assert.match(html, /^<!doctype html>/i);
    assert.ok((html.match(/<svg/g) ?? []).length >= 2, "the charts are inline SVG");
    assert.doesNotMatch(html, /<script[^>]*\ssrc=|<link[^>]*\shref=["']?https?:/i);
    assert.match(html, new RegExp(model.predictor.modelVersion));
  });

  it("serve --capture-dir with CAPTURE_SAMPLE=1: drift counts every row sent over HTTP", async () => {
    const dir = tempDir("iris-serve-capture-");
    const server = Spawned.start(
      "cli/main.ts",
      ["serve", "--model", model.dir, "--port", "0", "--capture-dir", dir],
      { CAPTURE_SAMPLE: "1", LOG_LEVEL: "warn", PORT: undefined },
    );
    try {
      const [, base] = await server.waitFor(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      let sent = 0;
      for (const flower of [SETOSA, VIRGINICA, SETOSA]) {
        const answer = await fetch(`${base}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(flower),
        });
        assert.equal(answer.status, 200);
        sent += 1;
      }
      const csv = [SETOSA, VIRGINICA, VIRGINICA, SETOSA, VIRGINICA].map((f) => rowOf(f).join(","));
      const batch = await fetch(`${base}/invocations`, {
        method: "POST",
        headers: { "content-type": "text/csv", accept: "application/json" },
        body: `${csv.join("\n")}\n`,
      });
      assert.equal(batch.status, 200);
      sent += csv.length;
      server.kill("SIGTERM");
      assert.deepEqual(await server.exit(), { code: 0, signal: null }, server.output);
      const result = await drift(dir);
      assert.ok([0, 10, 11].includes(result.code as number), result.stderr);
      const report = JSON.parse(result.stdout) as DriftReport;
      assert.equal(report.overall.rows, sent);
      assert.deepEqual(Object.keys(report.by_model_version), [model.predictor.modelVersion]);
    } finally {
      server.kill("SIGKILL");
    }
  });

  describe("against S3 (s3rver)", () => {
    let s3: FakeS3;
    before(async () => {
      s3 = await FakeS3.start();
      await s3.createBucket("capture");
      for (const [mix, dir] of Object.entries(captures))
        for (const file of await filesUnder(dir))
          await s3.put("capture", `traffic/${mix}/${relative(dir, file)}`, await readFile(file));
    });
    after(() => s3.stop());

    for (const [mix, verdict] of Object.entries(EXPECTED)) {
      it(`${mix}: --capture s3://capture/traffic/${mix} gives what the folder gives`, async () => {
        const [fromS3, fromDir] = await Promise.all([
          drift(`s3://capture/traffic/${mix}`, [], s3.env()),
          drift(captures[mix] as string),
        ]);
        assert.equal(fromS3.code, EXIT_CODES[verdict], fromS3.stderr);
        const a = JSON.parse(fromS3.stdout) as DriftReport;
        const b = JSON.parse(fromDir.stdout) as DriftReport;
        assert.equal(a.overall.rows, ROWS);
        assert.deepEqual(a.overall, b.overall);
      });
    }
  });
});
