/**
 * SageMaker's transform jobs for the SageMaker fake (sagemaker.ts): CreateTransformJob,
 * DescribeTransformJob and StopTransformJob, with the checks AWS makes that a caller can get
 * wrong (the job name's pattern and uniqueness, a model that exists, MaxPayloadInMB within
 * 0–100 and MaxConcurrentTransforms × MaxPayloadInMB within 100 (with the SDK's defaults),
 * an `s3://` input and output). A created job moves through the states a test plays (each
 * DescribeTransformJob takes the next, the last repeating); once stopped it answers Stopping,
 * then Stopped, whatever was played. Outputs are built from what the job was created with, so
 * what a caller sent is what DescribeTransformJob reads back.
 */
import type {
  CreateTransformJobRequest as CreateTransformJobInput,
  CreateTransformJobResponse as CreateTransformJobOutput,
  DescribeTransformJobRequest as DescribeTransformJobInput,
  DescribeTransformJobResponse as DescribeTransformJobOutput,
  StopTransformJobRequest as StopTransformJobInput,
  TransformJobStatus,
} from "@aws-sdk/client-sagemaker";
import { AwsFault, Delayed } from "./service.js";

/** StopTransformJob answers nothing but its status. */
type StopTransformJobOutput = Record<string, never>;

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

/** One state of a job, as DescribeTransformJob shows it. */
export interface TransformStep {
  readonly status: TransformJobStatus;
  readonly failureReason?: string;
}

export type TransformScripted = TransformStep | AwsFault | Delayed<TransformStep>;

export type TransformOperations = {
  CreateTransformJob: [CreateTransformJobInput, CreateTransformJobOutput];
  DescribeTransformJob: [DescribeTransformJobInput, DescribeTransformJobOutput];
  StopTransformJob: [StopTransformJobInput, StopTransformJobOutput];
};

// from the API reference: TransformJobName and ModelName
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
const CREATED = new Date("2026-12-02T08:00:00Z");
/** A job starts transforming 4 min after its creation (instances starting) and ends 5 min 30 s later. */
const START_MS = 4 * 60_000;
const END_MS = START_MS + 330_000;

const arnOf = (name: string) =>
  `arn:aws:sagemaker:${REGION}:${ACCOUNT}:transform-job/${name.toLowerCase()}`;
const invalid = (message: string) => new AwsFault(400, "ValidationException", message);

/** DescribeTransformJob's answer for `job`, created at `created`, in `step`. */
export function describedTransformJob(
  job: CreateTransformJobInput,
  step: TransformStep,
  created = CREATED,
) {
  const name = job.TransformJobName as string;
  const ended =
    step.status === "Completed" || step.status === "Failed" || step.status === "Stopped";
  return {
    TransformJobName: name,
    TransformJobArn: arnOf(name),
    TransformJobStatus: step.status,
    ...(step.failureReason ? { FailureReason: step.failureReason } : {}),
    ModelName: job.ModelName,
    MaxConcurrentTransforms: job.MaxConcurrentTransforms ?? 1,
    MaxPayloadInMB: job.MaxPayloadInMB ?? 6,
    BatchStrategy: job.BatchStrategy,
    ...(job.Environment ? { Environment: job.Environment } : {}),
    TransformInput: job.TransformInput,
    TransformOutput: job.TransformOutput,
    TransformResources: job.TransformResources,
    ...(job.DataProcessing ? { DataProcessing: job.DataProcessing } : {}),
    CreationTime: created,
    ...(step.status === "InProgress" || ended
      ? { TransformStartTime: new Date(created.getTime() + START_MS) }
      : {}),
    ...(ended ? { TransformEndTime: new Date(created.getTime() + END_MS) } : {}),
  } satisfies DescribeTransformJobOutput;
}

function checkCreate(job: CreateTransformJobInput, models: ReadonlySet<string>): void {
  const name = job.TransformJobName ?? "";
  if (!NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at 'transformJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    );
  }
  if (!models.has(job.ModelName ?? "")) {
    throw invalid(`Could not find model "${job.ModelName}".`);
  }
  const payload = job.MaxPayloadInMB ?? 6;
  const concurrent = job.MaxConcurrentTransforms ?? 1;
  if (payload < 0 || payload > 100) {
    throw invalid("MaxPayloadInMB must be between 0 and 100");
  }
  if (payload * concurrent > 100) {
    throw invalid(
      `MaxConcurrentTransforms (${concurrent}) x MaxPayloadInMB (${payload}) must not exceed 100 MB`,
    );
  }
  const input = job.TransformInput?.DataSource?.S3DataSource?.S3Uri ?? "";
  const output = job.TransformOutput?.S3OutputPath ?? "";
  for (const [what, uri] of [
    ["S3Uri", input],
    ["S3OutputPath", output],
  ] as const) {
    if (!S3_URI.test(uri)) throw invalid(`${what} ${uri} is not a valid S3 URI`);
  }
}

export class TransformJobs {
  /** What each job was created with, by name. */
  readonly created = new Map<string, CreateTransformJobInput>();
  /** Models CreateTransformJob finds. */
  readonly models = new Set<string>();
  private steps: TransformScripted[] = [];
  private next = 0;
  /** When each job was created (whole seconds, as the wire's epoch seconds keep them exactly). */
  readonly createdAt = new Map<string, Date>();
  /** Describes answered since the job was stopped, by name. */
  private readonly stopped = new Map<string, number>();

  /** DescribeTransformJob answers the next calls from `steps`, for every job. */
  play(steps: TransformScripted[]): void {
    this.steps = steps;
    this.next = 0;
  }

  /** Forget every job (the models stay). */
  clear(): void {
    this.created.clear();
    this.createdAt.clear();
    this.stopped.clear();
  }

  readonly handlers = {
    CreateTransformJob: (input: CreateTransformJobInput): CreateTransformJobOutput => {
      checkCreate(input, this.models);
      const name = input.TransformJobName as string;
      if (this.created.has(name)) {
        throw new AwsFault(
          400,
          "ResourceInUse",
          `Job name must be unique within an AWS account and region, and a job with this name already exists (${arnOf(name)})`,
        );
      }
      this.created.set(name, input);
      this.createdAt.set(name, new Date(Math.floor(Date.now() / 1000) * 1000));
      return { TransformJobArn: arnOf(name) };
    },
    DescribeTransformJob: (
      input: DescribeTransformJobInput,
    ): DescribeTransformJobOutput | Delayed<DescribeTransformJobOutput> => {
      const job = this.job(input.TransformJobName);
      const stops = this.stopped.get(job.TransformJobName as string);
      if (stops !== undefined) {
        this.stopped.set(job.TransformJobName as string, stops + 1);
        return this.described(job, { status: stops === 0 ? "Stopping" : "Stopped" });
      }
      const step = this.steps[Math.min(this.next++, this.steps.length - 1)];
      if (step === undefined) throw new Error("TransformJobs: play the job's states first");
      if (step instanceof AwsFault) throw step;
      if (!(step instanceof Delayed)) return this.described(job, step);
      const late = step.answer;
      return new Delayed(step.ms, late instanceof AwsFault ? late : this.described(job, late));
    },
    StopTransformJob: (input: StopTransformJobInput): StopTransformJobOutput => {
      const job = this.job(input.TransformJobName);
      this.stopped.set(job.TransformJobName as string, 0);
      return {};
    },
  };

  private described(job: CreateTransformJobInput, step: TransformStep) {
    return describedTransformJob(job, step, this.createdAt.get(job.TransformJobName as string));
  }

  private job(name: string | undefined): CreateTransformJobInput {
    const job = this.created.get(name ?? "");
    if (!job) throw new AwsFault(400, "ResourceNotFound", `Could not find job ${name}`);
    return job;
  }
}
