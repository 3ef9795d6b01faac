/**
 * `iris-mlops transform`: run the stack's SageMaker model over files in S3 as a Batch Transform
 * job (cli/transform-job.ts), show its progress, wait for it and report its rows
 * (cli/transform-output.ts), failure and time. docs/batch.md tells how, what it costs and its
 * limits. Exit codes: 0 the job completed (or, --no-wait, was created); 1 it failed or was
 * stopped; 2 the command could not run (bad flags, AWS refused or unreachable), as main.ts
 * gives any error; 3 the wait's --timeout passed with the job still running (it goes on);
 * 130 interrupted (Ctrl-C): the job was asked to stop.
 */
import { type Command, InvalidArgumentError } from "commander";
import { splitS3Uri } from "../core/s3-uri.js";
import { decimal, integer } from "./options.js";
import type { Described, LineType, S3Location, TransformRequest } from "./transform-job.js";

/** The SDK (about 100 ms to load) and what uses it, when the command runs. */
const job = () => require("./transform-job.js") as typeof import("./transform-job.js");
const output = () => require("./transform-output.js") as typeof import("./transform-output.js");

export const DEFAULT_INSTANCE_TYPE = "ml.m5.large";
const TYPES: readonly LineType[] = ["text/csv", "application/jsonlines"];

interface Flags {
  model: string;
  input: S3Location;
  output: S3Location;
  instanceType: string;
  instances: number;
  contentType: LineType;
  accept?: LineType;
  maxConcurrent?: number;
  maxPayloadMb?: number;
  jobName?: string;
  region?: string;
  wait: boolean;
  timeout: number;
  poll: number;
  json?: boolean;
}

export function s3Location(value: string): S3Location {
  const split = splitS3Uri(value);
  if (!split) throw new InvalidArgumentError("expected s3://bucket/prefix");
  return { bucket: split.bucket, prefix: split.path };
}

const lineType = (value: string): LineType => {
  if (!(TYPES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `expected ${TYPES.join(" or ")}: a line-based type, answered one line per line`,
    );
  }
  return value as LineType;
};

const within = (min: number, max: number) => (value: string) => {
  const n = integer(value);
  if (n < min || n > max) throw new InvalidArgumentError(`expected ${min} to ${max}`);
  return n;
};

const positive = (value: string) => {
  const n = decimal(value);
  if (n <= 0) throw new InvalidArgumentError("expected a number above 0");
  return n;
};

const jobName = (value: string) => {
  if (!job().isJobName(value)) {
    throw new InvalidArgumentError(
      "expected letters, digits and hyphens, at most 63 characters, starting and ending with a letter or digit",
    );
  }
  return value;
};

const say = (text: string) => process.stderr.write(`iris-mlops: ${text}\n`);
const seconds = (from?: Date, to?: Date) =>
  from && to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : undefined;
const duration = (s: number) => (s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`);

/** The request the flags ask for, checked where SageMaker would refuse it late. */
function requestFor(flags: Flags): TransformRequest {
  const { TransformInstanceType } =
    require("@aws-sdk/client-sagemaker") as typeof import("@aws-sdk/client-sagemaker");
  const types = Object.values(TransformInstanceType) as string[];
  if (!types.includes(flags.instanceType)) {
    throw new Error(
      `--instance-type ${flags.instanceType} is not one Batch Transform runs on; for example ${DEFAULT_INSTANCE_TYPE}, ml.m5.xlarge, ml.c5.xlarge`,
    );
  }
  const { maxConcurrent, maxPayloadMb } = flags;
  if (
    maxConcurrent !== undefined &&
    maxPayloadMb !== undefined &&
    maxConcurrent * maxPayloadMb > 100
  ) {
    throw new Error(
      `--max-concurrent × --max-payload-mb is ${maxConcurrent * maxPayloadMb} MB; SageMaker allows at most 100`,
    );
  }
  if (
    flags.output.bucket === flags.input.bucket &&
    flags.output.prefix.startsWith(flags.input.prefix)
  ) {
    throw new Error(
      "--output lies under --input: the job would read its own output as input; use a prefix beside it",
    );
  }
  const { jobNameFor } = job();
  return {
    jobName: flags.jobName ?? jobNameFor(flags.model, new Date(), Math.random),
    modelName: flags.model,
    input: flags.input,
    output: flags.output,
    instanceType: flags.instanceType as TransformRequest["instanceType"],
    instanceCount: flags.instances,
    contentType: flags.contentType,
    accept: flags.accept ?? flags.contentType,
    maxConcurrentTransforms: maxConcurrent,
    maxPayloadInMB: maxPayloadMb,
  };
}

/** What the report shows of a finished job, for people or (--json) for machines. */
async function report(described: Described, request: TransformRequest, flags: Flags) {
  const status = described.TransformJobStatus;
  const ran = seconds(described.TransformStartTime, described.TransformEndTime);
  const total = seconds(described.CreationTime, described.TransformEndTime);
  let rows: number | undefined;
  let objects: number | undefined;
  let notCounted: string | undefined;
  if (status === "Completed") {
    const { s3ClientFromEnv } =
      require("../serving/model-source.js") as typeof import("../serving/model-source.js");
    const s3 = s3ClientFromEnv();
    try {
      const count = await output().countOutput(
        s3,
        request.output,
        described.CreationTime ?? new Date(0),
      );
      ({ rows, objects } = count);
      if (count.older > 0) {
        say(
          `skipped ${count.older} older .out object(s) under the output prefix, from an earlier job`,
        );
      }
    } catch (error) {
      notCounted = (error as Error).message;
      say(`rows not counted: ${notCounted}`);
    } finally {
      s3.destroy();
    }
  }
  const summary = {
    job: request.jobName,
    status,
    rows: rows ?? null,
    objects: objects ?? null,
    output: job().uriOf(request.output),
    failureReason: described.FailureReason ?? null,
    seconds: ran ?? null,
    totalSeconds: total ?? null,
    instanceType: request.instanceType,
    instances: request.instanceCount,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [`transform job ${request.jobName}: ${status}`];
  if (rows !== undefined)
    lines.push(`rows: ${rows} in ${objects} .out object(s) under ${summary.output}`);
  if (described.FailureReason) lines.push(`failure: ${described.FailureReason}`);
  if (ran !== undefined) {
    lines.push(
      `time: ${duration(ran)} transforming, ${duration(total ?? ran)} from creation (instances: ${request.instanceCount} × ${request.instanceType})`,
    );
  }
  if (status === "Failed") {
    lines.push(
      `logs: CloudWatch log group /aws/sagemaker/TransformJobs, streams ${request.jobName}/…`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function transform(flags: Flags): Promise<void> {
  if (flags.region) process.env.AWS_REGION = flags.region;
  const request = requestFor(flags);
  const { TransformJobs, createTransformJobInput } = job();
  const jobs = new TransformJobs(flags.region);
  const interrupted = new AbortController();
  const onSignal = () => {
    // a second Ctrl-C leaves at once
    if (interrupted.signal.aborted) process.exit(130);
    say("interrupted: stopping the transform job (Ctrl-C again to leave without waiting)");
    interrupted.abort();
  };
  process.on("SIGINT", onSignal);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  try {
    const arn = await jobs.create(createTransformJobInput(request), Date.now() + 60_000);
    say(`created transform job ${request.jobName} (${arn}) on model ${request.modelName}`);
    if (!flags.wait && !interrupted.signal.aborted) {
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ job: request.jobName, arn, status: "InProgress" })}\n`,
        );
      } else process.stdout.write(`${request.jobName}\n`);
      return;
    }
    const settings = {
      deadline: started + flags.timeout * 60_000,
      pollMs: flags.poll * 1000,
      maxPollMs: Math.max(flags.poll * 1000, 60_000),
    };
    const { job: described, timedOut } = await jobs.wait(
      request.jobName,
      settings,
      (state, changed) => {
        const elapsed = duration(Math.round((Date.now() - started) / 1000));
        const line = `transform job ${request.jobName}: ${state.TransformJobStatus} (${elapsed})`;
        // a terminal's line is rewritten in place; a log gets one line per change
        if (tty) process.stderr.write(`\r\u001b[2K${line}${changed ? "\n" : ""}`);
        else if (changed) say(line);
      },
      interrupted.signal,
    );
    if (interrupted.signal.aborted && !job().hasEnded(described.TransformJobStatus)) {
      await jobs.stop(request.jobName, Date.now() + 60_000);
      say(`asked SageMaker to stop ${request.jobName}: it ends as Stopped within minutes`);
      process.exitCode = 130;
      return;
    }
    if (timedOut) {
      say(
        `--timeout ${flags.timeout} min passed with ${request.jobName} ${described.TransformJobStatus}: it goes on; stop it with aws sagemaker stop-transform-job --transform-job-name ${request.jobName}`,
      );
      process.exitCode = 3;
      return;
    }
    await report(described, request, flags);
    if (described.TransformJobStatus !== "Completed") process.exitCode = 1;
  } finally {
    process.off("SIGINT", onSignal);
    jobs.destroy();
  }
}

export function addTransformCommand(program: Command): void {
  program
    .command("transform")
    .description(
      "Run the stack's SageMaker model over CSV or JSON-lines files in S3 as a Batch Transform job " +
        "(one output line per input line, in <output>/<file>.out), wait for it and report rows, failure and time " +
        "(docs/batch.md). Exit 0 completed, 1 failed or stopped, 2 could not run, 3 still running at --timeout, 130 interrupted (the job is stopped).",
    )
    .requiredOption("--model <name>", "the SageMaker model (the stack output sageMakerModelName)")
    .requiredOption(
      "--input <s3-uri>",
      "s3://bucket/prefix of the input files (or one file)",
      s3Location,
    )
    .requiredOption("--output <s3-uri>", "s3://bucket/prefix the .out files go to", s3Location)
    .option("--instance-type <type>", "the instances", DEFAULT_INSTANCE_TYPE)
    .option("--instances <n>", "how many instances", within(1, 100), 1)
    .option("--content-type <type>", "text/csv or application/jsonlines", lineType, "text/csv")
    .option("--accept <type>", "the answers' type (default: the content type)", lineType)
    .option(
      "--max-concurrent <n>",
      "requests in flight per instance (default: the container's /execution-parameters)",
      within(1, 100),
    )
    .option(
      "--max-payload-mb <n>",
      "largest mini-batch in MB (default: the container's /execution-parameters)",
      within(1, 100),
    )
    .option("--job-name <name>", "the job's name (default: <model>-<date>-<time>-<4 hex>)", jobName)
    .option("--region <region>", "the AWS region (default: the SDK's: AWS_REGION, the profile)")
    .option("--no-wait", "create the job, print its name and return")
    .option("--timeout <minutes>", "how long to wait for the job (it goes on after)", positive, 120)
    .option("--poll <seconds>", "first wait between status checks; it grows to 60", positive, 10)
    .option("--json", "print the report as JSON")
    // a flag refused is a command that could not run: 2, as every other such error (commander's own is 1)
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(transform);
}
