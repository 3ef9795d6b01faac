/**
 * `iris-mlops transform` as a process against the SageMaker fake (AWS_ENDPOINT_URL_SAGEMAKER)
 * and s3rver (AWS_ENDPOINT_URL_S3): a job that completes is reported with the rows of its .out
 * objects and its time, one that fails with its reason (exit 1), a wait past --timeout leaves
 * it running (exit 3), Ctrl-C stops it (StopTransformJob, exit 130), --no-wait only creates
 * it, and flags SageMaker would refuse stop the command before any call (exit 2).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { CreateTransformJobRequest } from "@aws-sdk/client-sagemaker";
import { SageMakerFake } from "../helpers/aws-fakes/sagemaker.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { FakeS3 } from "../helpers/s3.js";
import { REPO_ROOT } from "../helpers/trained.js";

const MODEL = "sagemaker-model-1a2b3c4";
const BASE = [
  "transform",
  "--model",
  MODEL,
  "--input",
  "s3://data/in/",
  "--output",
  "s3://data/out/",
];

describe("cli: iris-mlops transform (against the SageMaker fake and s3rver)", function () {
  this.timeout(120_000);
  let sagemaker: SageMakerFake;
  let s3: FakeS3;
  const env = () => ({ ...s3.env(), AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.service.endpoint });
  const cli = (...args: string[]) => runCli([...BASE, "--poll", "0.02", ...args], { env: env() });
  const created = () =>
    [...sagemaker.transformJobs.created.values()] as CreateTransformJobRequest[];
  const ok = (r: CliResult, code = 0) => assert.equal(r.code, code, `${r.stdout}\n${r.stderr}`);

  before(async () => {
    sagemaker = await SageMakerFake.start();
    sagemaker.transformJobs.models.add(MODEL);
    s3 = await FakeS3.start();
    await s3.createBucket("data");
  });
  beforeEach(() => {
    sagemaker.transformJobs.clear();
    sagemaker.service.reset();
  });
  after(async () => {
    await sagemaker?.service.close();
    await s3?.stop();
  });

  it("creates the job, shows each status, waits, and reports rows and time", async () => {
    // what the job writes, just after it is created (S3 keeps whole seconds)
    const writing = new Promise<void>((resolve) => {
      const check = setInterval(async () => {
        if (created().length === 0) return;
        clearInterval(check);
        await new Promise((r) => setTimeout(r, 1100));
        await s3.put(
          "data",
          "out/iris.csv.out",
          new TextEncoder().encode("setosa\nvirginica\nsetosa\n"),
        );
        resolve();
      }, 10);
    });
    sagemaker.playTransform([{ status: "InProgress" }]);
    const running = cli("--instances", "2", "--accept", "application/jsonlines");
    await writing;
    sagemaker.playTransform([{ status: "Completed" }]);
    const r = await running;
    ok(r);
    const [job] = created();
    assert.match(job?.TransformJobName ?? "", /^sagemaker-model-1a2b3c4-\d{8}-\d{6}-[0-9a-f]{4}$/);
    assert.deepEqual(job?.TransformResources, { InstanceType: "ml.m5.large", InstanceCount: 2 });
    assert.equal(job?.TransformInput?.ContentType, "text/csv");
    assert.equal(job?.TransformOutput?.Accept, "application/jsonlines");
    assert.equal(job?.MaxPayloadInMB, undefined);
    assert.match(
      r.stderr,
      /created transform job sagemaker-model-1a2b3c4-.* on model sagemaker-model-1a2b3c4/,
    );
    assert.match(r.stderr, /: InProgress \(/);
    assert.match(r.stderr, /: Completed \(/);
    assert.match(
      r.stdout,
      /: Completed\nrows: 3 in 1 \.out object\(s\) under s3:\/\/data\/out\/\n/,
    );
    assert.match(
      r.stdout,
      /time: 5 min 30 s transforming, 9 min 30 s from creation \(instances: 2 × ml\.m5\.large\)/,
    );
  });

  it("reports a failed job with its reason, exit 1 (--json)", async () => {
    sagemaker.playTransform([
      { status: "InProgress" },
      { status: "Failed", failureReason: "ClientError: See job logs for more information" },
    ]);
    const r = await cli(
      "--json",
      "--job-name",
      "nightly-1",
      "--max-concurrent",
      "4",
      "--max-payload-mb",
      "6",
    );
    ok(r, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.status, "Failed");
    assert.equal(report.failureReason, "ClientError: See job logs for more information");
    assert.equal(report.rows, null);
    assert.equal(report.job, "nightly-1");
    assert.equal(created()[0]?.MaxConcurrentTransforms, 4);
    assert.equal(created()[0]?.MaxPayloadInMB, 6);
  });

  it("leaves a job still running at --timeout, exit 3, saying how to stop it", async () => {
    sagemaker.playTransform([{ status: "InProgress" }]);
    const r = await cli("--timeout", "0.02");
    ok(r, 3);
    assert.match(
      r.stderr,
      /goes on; stop it with aws sagemaker stop-transform-job --transform-job-name /,
    );
    assert.equal(sagemaker.service.count("StopTransformJob"), 0);
  });

  it("--no-wait prints the job's name and returns", async () => {
    sagemaker.playTransform([{ status: "InProgress" }]);
    const r = await cli("--no-wait", "--job-name", "later-1");
    ok(r);
    assert.equal(r.stdout, "later-1\n");
    assert.equal(sagemaker.service.count("DescribeTransformJob"), 0);
  });

  it("Ctrl-C stops the job (StopTransformJob) and exits 130", async () => {
    sagemaker.playTransform([{ status: "InProgress" }]);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", ...BASE, "--poll", "0.05", "--job-name", "ctrl-c-1"],
      { cwd: REPO_ROOT, env: { ...process.env, ...env() }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let i = 0; i < 600 && sagemaker.service.count("DescribeTransformJob") < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGINT");
    assert.equal(await code, 130, stderr);
    assert.equal(sagemaker.service.count("StopTransformJob"), 1);
    assert.match(stderr, /interrupted: stopping the transform job/);
    assert.match(stderr, /asked SageMaker to stop ctrl-c-1/);
  });

  it("says what SageMaker refused (an unknown model), exit 2", async () => {
    const r = await runCli(
      ["transform", "--model", "gone", "--input", "s3://data/in/", "--output", "s3://data/out/"],
      { env: env() },
    );
    ok(r, 2);
    assert.match(r.stderr, /Could not find model "gone"/);
  });

  for (const [what, args, message] of [
    ["a bad S3 URI", ["--input", "data/in/"], /expected s3:\/\/bucket\/prefix/],
    ["a JSON accept", ["--accept", "application/json"], /line-based type/],
    [
      "an instance type Batch Transform lacks",
      ["--instance-type", "ml.t2.medium"],
      /not one Batch Transform runs on/,
    ],
    [
      "payload × concurrency over 100",
      ["--max-concurrent", "20", "--max-payload-mb", "6"],
      /120 MB; SageMaker allows at most 100/,
    ],
    ["a bad job name", ["--job-name", "has_underscore"], /letters, digits and hyphens/],
    ["the output under the input", ["--output", "s3://data/in/out/"], /lies under --input/],
  ] as const) {
    it(`refuses ${what} before any call, exit 2`, async () => {
      const r = await cli(...args);
      ok(r, 2);
      assert.match(r.stderr, message);
      assert.equal(sagemaker.service.calls.length, 0);
    });
  }
});
