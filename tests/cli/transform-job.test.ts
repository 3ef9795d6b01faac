/**
 * cli/transform-job.ts and cli/transform-output.ts against local fakes: the SageMaker fake's
 * transform jobs (tests/helpers/aws-fakes/sagemaker-transform.ts) on the JSON 1.1 protocol,
 * reached through the SDK's own serialisation (AWS_ENDPOINT_URL_SAGEMAKER, as the CLI reaches
 * it), and s3rver for the output count. What the SDK puts on the wire is what
 * createTransformJobInput built; what DescribeTransformJob's fixture holds is what the SDK
 * reads back; the wait polls with a growing interval, stops at its deadline or when
 * interrupted; job names always fit SageMaker's pattern.
 */
import assert from "node:assert/strict";
import {
  DescribeTransformJobCommand,
  ResourceInUse,
  ResourceNotFound,
  SageMakerClient,
  StopTransformJobCommand,
} from "@aws-sdk/client-sagemaker";
import fc from "fast-check";
import {
  createTransformJobInput,
  isJobName,
  jobNameFor,
  TransformJobs,
  type TransformRequest,
} from "../../cli/transform-job.js";
import { countOutput } from "../../cli/transform-output.js";
import { SageMakerFake } from "../helpers/aws-fakes/sagemaker.js";
import { describedTransformJob } from "../helpers/aws-fakes/sagemaker-transform.js";
import { AwsFault, Delayed } from "../helpers/aws-fakes/service.js";
import { FakeS3, setEnv } from "../helpers/s3.js";

const REQUEST: TransformRequest = {
  jobName: "iris-batch-1",
  modelName: "sagemaker-model-1a2b3c4",
  input: { bucket: "data", prefix: "in/" },
  output: { bucket: "data", prefix: "out/" },
  instanceType: "ml.m5.large",
  instanceCount: 2,
  contentType: "text/csv",
  accept: "application/jsonlines",
};

describe("cli/transform-job.ts against the SageMaker fake (through the SDK)", () => {
  let sagemaker: SageMakerFake;
  let jobs: TransformJobs;
  let restore: () => void;
  const soon = () => Date.now() + 10_000;

  before(async () => {
    sagemaker = await SageMakerFake.start();
    sagemaker.transformJobs.models.add(REQUEST.modelName);
    restore = setEnv({
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.service.endpoint,
      AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
      AWS_SECRET_ACCESS_KEY: "fake",
    });
    jobs = new TransformJobs("eu-west-1");
  });
  beforeEach(() => {
    sagemaker.transformJobs.clear();
    sagemaker.playTransform([{ status: "InProgress" }]);
  });
  after(async () => {
    jobs?.destroy();
    restore?.();
    await sagemaker?.service.close();
  });

  it("sends the request as built: Line split, MultiRecord, Line assembly, no payload or concurrency unless asked", async () => {
    const arn = await jobs.create(createTransformJobInput(REQUEST), soon());
    assert.equal(arn, `arn:aws:sagemaker:eu-west-1:123456789012:transform-job/iris-batch-1`);
    const [call] = sagemaker.service.calls;
    assert.equal(call?.operation, "CreateTransformJob");
    assert.equal(call?.signingService, "sagemaker");
    assert.equal(call?.region, "eu-west-1");
    // the wire input, parsed from JSON, is the SDK's serialisation of what was built
    assert.deepEqual(call?.input, createTransformJobInput(REQUEST));
    assert.deepEqual(call?.input, {
      TransformJobName: "iris-batch-1",
      ModelName: "sagemaker-model-1a2b3c4",
      BatchStrategy: "MultiRecord",
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://data/in/" } },
        ContentType: "text/csv",
        CompressionType: "None",
        SplitType: "Line",
      },
      TransformOutput: {
        S3OutputPath: "s3://data/out/",
        Accept: "application/jsonlines",
        AssembleWith: "Line",
      },
      TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 2 },
    });
    const withLimits = createTransformJobInput({
      ...REQUEST,
      jobName: "iris-batch-2",
      maxConcurrentTransforms: 4,
      maxPayloadInMB: 6,
    });
    await jobs.create(withLimits, soon());
    assert.deepEqual(sagemaker.service.calls[1]?.input, withLimits);
    assert.equal(withLimits.MaxConcurrentTransforms, 4);
    assert.equal(withLimits.MaxPayloadInMB, 6);
  });

  it("DescribeTransformJob's fixture is what the SDK reads back, dates and all", async () => {
    const input = createTransformJobInput(REQUEST);
    await jobs.create(input, soon());
    sagemaker.playTransform([{ status: "Failed", failureReason: "ClientError: 400" }]);
    const client = new SageMakerClient({ region: "eu-west-1" });
    try {
      const { $metadata, ...read } = await client.send(
        new DescribeTransformJobCommand({ TransformJobName: REQUEST.jobName }),
      );
      assert.equal($metadata.httpStatusCode, 200);
      assert.deepEqual(
        read,
        describedTransformJob(
          input,
          { status: "Failed", failureReason: "ClientError: 400" },
          sagemaker.transformJobs.createdAt.get(REQUEST.jobName),
        ),
      );
      assert.ok(read.TransformEndTime instanceof Date);
      const stopped = await client.send(
        new StopTransformJobCommand({ TransformJobName: REQUEST.jobName }),
      );
      assert.deepEqual(Object.keys(stopped), ["$metadata"]);
    } finally {
      client.destroy();
    }
  });

  it("refuses what AWS refuses: a name taken, an unknown model, payload × concurrency over 100", async () => {
    const input = createTransformJobInput(REQUEST);
    await jobs.create(input, soon());
    await assert.rejects(jobs.create(input, soon()), ResourceInUse);
    await assert.rejects(
      jobs.create(
        createTransformJobInput({ ...REQUEST, jobName: "x2", modelName: "gone" }),
        soon(),
      ),
      { name: "ValidationException", message: 'Could not find model "gone".' },
    );
    const tooMuch = { ...REQUEST, jobName: "x3", maxConcurrentTransforms: 20, maxPayloadInMB: 6 };
    await assert.rejects(jobs.create(createTransformJobInput(tooMuch), soon()), {
      name: "ValidationException",
    });
    await assert.rejects(jobs.describe("nobody", soon()), ResourceNotFound);
  });

  it("waits through the states, telling each change once, and returns the ended job", async () => {
    await jobs.create(createTransformJobInput(REQUEST), soon());
    sagemaker.playTransform([
      { status: "InProgress" },
      { status: "InProgress" },
      new AwsFault(400, "ThrottlingException", "Rate exceeded"),
      { status: "InProgress" },
      { status: "Completed" },
    ]);
    const seen: string[] = [];
    const { job, timedOut } = await jobs.wait(
      REQUEST.jobName,
      { deadline: Date.now() + 30_000, pollMs: 5, maxPollMs: 20 },
      (state, changed) => {
        if (changed) seen.push(state.TransformJobStatus as string);
      },
      new AbortController().signal,
    );
    assert.equal(timedOut, false);
    assert.equal(job.TransformJobStatus, "Completed");
    assert.deepEqual(seen, ["InProgress", "Completed"]);
    // the throttled call was retried by the SDK, inside the call's own limit
    assert.equal(sagemaker.service.count("DescribeTransformJob"), 5);
  });

  it("gives up at its deadline with the job still running, and at once when interrupted", async () => {
    await jobs.create(createTransformJobInput(REQUEST), soon());
    const wait = (deadline: number, signal: AbortSignal) =>
      jobs.wait(REQUEST.jobName, { deadline, pollMs: 20, maxPollMs: 40 }, () => undefined, signal);
    const late = await wait(Date.now() + 300, new AbortController().signal);
    assert.equal(late.timedOut, true);
    assert.equal(late.job.TransformJobStatus, "InProgress");
    const polls = sagemaker.service.count("DescribeTransformJob");
    assert.ok(polls >= 2 && polls <= 20, `${polls} polls in 300 ms`);
    const interrupt = new AbortController();
    const waiting = wait(Date.now() + 60_000, interrupt.signal);
    setTimeout(() => interrupt.abort(), 50);
    const stopped = await waiting;
    assert.equal(stopped.timedOut, false);
    assert.equal(stopped.job.TransformJobStatus, "InProgress");
  });

  it("a DescribeTransformJob that never answers is ended by the call's limit", async () => {
    await jobs.create(createTransformJobInput(REQUEST), soon());
    sagemaker.playTransform([new Delayed(120_000, { status: "InProgress" })]);
    // the deadline is past: the call gets its floor, 5 s, and no more
    await assert.rejects(jobs.describe(REQUEST.jobName, Date.now()), { name: "TimeoutError" });
  });

  it("stops a job: it then reads Stopping, then Stopped", async () => {
    await jobs.create(createTransformJobInput(REQUEST), soon());
    await jobs.stop(REQUEST.jobName, soon());
    assert.equal((await jobs.describe(REQUEST.jobName, soon())).TransformJobStatus, "Stopping");
    assert.equal((await jobs.describe(REQUEST.jobName, soon())).TransformJobStatus, "Stopped");
  });
});

describe("cli/transform-job.ts jobNameFor", () => {
  it("is a valid SageMaker job name of at most 63 characters, for any model name (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (model, now, random) => {
          const name = jobNameFor(model, now, () => random);
          assert.ok(isJobName(name), name);
          assert.ok(name.length <= 63, name);
        },
      ),
    );
  });

  it("keeps the model's name and says when", () => {
    const name = jobNameFor("sagemaker-model-1a2b3c4", new Date("2026-12-02T07:05:09Z"), () => 0.5);
    assert.equal(name, "sagemaker-model-1a2b3c4-20261202-070509-8000");
  });
});

describe("cli/transform-output.ts countOutput (against s3rver)", function () {
  this.timeout(60_000);
  let s3: FakeS3;
  before(async () => {
    s3 = await FakeS3.start();
    await s3.createBucket("data");
  });
  after(() => s3?.stop());

  it("counts the lines of the .out objects the job wrote, skipping older ones and other files", async () => {
    const text = (s: string) => new TextEncoder().encode(s);
    await s3.put("data", "out/old.csv.out", text("a\nb\n"));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // LastModified has whole seconds
    const created = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await s3.put("data", "out/a.csv.out", text("setosa\nvirginica\n"));
    // the last line without its newline, CRLF, and a blank line are handled
    await s3.put("data", "out/sub/b.csv.out", text("setosa\r\n\nversicolor"));
    await s3.put("data", "out/_SUCCESS", text("x\ny\n"));
    await s3.put("data", "elsewhere/c.csv.out", text("x\n"));
    const client = s3.client();
    try {
      const count = await countOutput(client, { bucket: "data", prefix: "out/" }, created);
      assert.deepEqual(
        { rows: count.rows, objects: count.objects, older: count.older },
        { rows: 4, objects: 2, older: 1 },
      );
    } finally {
      client.destroy();
    }
  });
});
