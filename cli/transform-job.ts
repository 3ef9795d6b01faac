/**
 * A SageMaker Batch Transform job for `iris-mlops transform`, through the AWS SDK: the
 * CreateTransformJob request (SplitType Line, BatchStrategy MultiRecord, AssembleWith Line: one
 * output line per input line, in order, in `<output>/<input file>.out`), then the wait, polling
 * DescribeTransformJob with a growing interval until the job ends or the deadline passes, and
 * StopTransformJob when the user interrupts. Every call keeps to a limit of its own and the
 * deadline (components/aws-call.ts), with the SDK's standard retries inside it.
 */
import {
  CreateTransformJobCommand,
  type CreateTransformJobCommandInput,
  DescribeTransformJobCommand,
  type DescribeTransformJobCommandOutput,
  SageMakerClient,
  StopTransformJobCommand,
  type TransformInstanceType,
  type TransformJobStatus,
} from "@aws-sdk/client-sagemaker";
import { awsClientConfig, callWithin } from "../components/aws-call.js";

/** What the line-based container reads and answers one line per line (serving/invocations.ts). */
export const LINE_TYPES = ["text/csv", "application/jsonlines"] as const;
export type LineType = (typeof LINE_TYPES)[number];

/**
 * Whether `name` is a transform job's name by SageMaker's rule (CreateTransformJob's
 * TransformJobName, `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, at most 63 characters): letters, digits
 * and hyphens, starting and ending with a letter or digit. Checked without that pattern, whose
 * nested repetition backtracks (tests/security/regex-audit.test.ts).
 */
export function isJobName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 63 &&
    /^[a-zA-Z0-9-]+$/.test(name) &&
    name[0] !== "-" &&
    name[name.length - 1] !== "-"
  );
}

/** An `s3://bucket/prefix` location: the bucket and the key prefix (possibly empty). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

export interface TransformRequest {
  readonly jobName: string;
  readonly modelName: string;
  readonly input: S3Location;
  readonly output: S3Location;
  readonly instanceType: TransformInstanceType;
  readonly instanceCount: number;
  readonly contentType: LineType;
  readonly accept: LineType;
  /** Unset: SageMaker asks the container (GET /execution-parameters), else uses its defaults. */
  readonly maxConcurrentTransforms?: number;
  readonly maxPayloadInMB?: number;
}

export const uriOf = (l: S3Location) => `s3://${l.bucket}/${l.prefix}`;

/** CreateTransformJob's input for `r`. */
export function createTransformJobInput(r: TransformRequest): CreateTransformJobCommandInput {
  return {
    TransformJobName: r.jobName,
    ModelName: r.modelName,
    BatchStrategy: "MultiRecord",
    ...(r.maxConcurrentTransforms === undefined
      ? {}
      : { MaxConcurrentTransforms: r.maxConcurrentTransforms }),
    ...(r.maxPayloadInMB === undefined ? {} : { MaxPayloadInMB: r.maxPayloadInMB }),
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: uriOf(r.input) } },
      ContentType: r.contentType,
      CompressionType: "None",
      SplitType: "Line",
    },
    TransformOutput: { S3OutputPath: uriOf(r.output), Accept: r.accept, AssembleWith: "Line" },
    TransformResources: { InstanceType: r.instanceType, InstanceCount: r.instanceCount },
  };
}

/**
 * A job name from the model's and the time's: `<model>-<yyyymmdd>-<hhmmss>-<4 hex>`, the
 * model's part cleaned to SageMaker's pattern and cut so the whole is at most 63 characters.
 */
export function jobNameFor(modelName: string, now: Date, random: () => number): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const tag = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, "0");
  const suffix = `${stamp}-${tag}`;
  const model = modelName
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63 - suffix.length - 1)
    .replace(/-$/, ""); // the runs were made single hyphens above: at most one ends the slice
  return model === "" ? `transform-${suffix}` : `${model}-${suffix}`;
}

/** How long each call may take, and the poll's intervals. */
export interface WaitSettings {
  /** Epoch ms after which the wait gives up (the job goes on). */
  readonly deadline: number;
  /** First interval between two DescribeTransformJob calls; it grows by half each time. */
  readonly pollMs: number;
  readonly maxPollMs: number;
}

/** Limits of one SageMaker call, its retries included. */
export const CALL_LIMITS = { callMs: 30_000, floorMs: 5_000 } as const;
/** An attempt's wait for the answer's headers. */
const ATTEMPT_MS = 10_000;

export type Described = DescribeTransformJobCommandOutput;

const ENDED: readonly TransformJobStatus[] = ["Completed", "Failed", "Stopped"];
export const hasEnded = (status: TransformJobStatus | undefined) =>
  status !== undefined && ENDED.includes(status);

/** The SageMaker calls of a transform job; `region` undefined takes the SDK's own chain. */
export class TransformJobs {
  readonly client: SageMakerClient;

  constructor(region: string | undefined) {
    // the SDK reads AWS_ENDPOINT_URL_SAGEMAKER itself (a local fake in the tests)
    this.client = new SageMakerClient({ ...awsClientConfig("", ATTEMPT_MS), region });
  }

  async create(input: CreateTransformJobCommandInput, deadline: number): Promise<string> {
    const output = await callWithin(deadline, CALL_LIMITS, (options) =>
      this.client.send(new CreateTransformJobCommand(input), options),
    );
    return output.TransformJobArn ?? "";
  }

  describe(name: string, deadline: number): Promise<Described> {
    return callWithin(deadline, CALL_LIMITS, (options) =>
      this.client.send(new DescribeTransformJobCommand({ TransformJobName: name }), options),
    );
  }

  async stop(name: string, deadline: number): Promise<void> {
    await callWithin(deadline, CALL_LIMITS, (options) =>
      this.client.send(new StopTransformJobCommand({ TransformJobName: name }), options),
    );
  }

  /**
   * Poll until the job ends, `interrupted` aborts, or the deadline passes: the last answer,
   * `onPoll` told of each, and whether its status changed. A failed DescribeTransformJob past
   * the SDK's retries ends the wait with its error.
   */
  async wait(
    name: string,
    settings: WaitSettings,
    onPoll: (job: Described, changed: boolean) => void,
    interrupted: AbortSignal,
  ): Promise<{ job: Described; timedOut: boolean }> {
    let interval = settings.pollMs;
    let last: TransformJobStatus | undefined;
    // bounded: each turn waits at least pollMs, and the deadline ends the loop
    for (;;) {
      const job = await this.describe(name, settings.deadline);
      onPoll(job, job.TransformJobStatus !== last);
      last = job.TransformJobStatus;
      if (hasEnded(job.TransformJobStatus) || interrupted.aborted) return { job, timedOut: false };
      const left = settings.deadline - Date.now();
      if (left <= 0) return { job, timedOut: true };
      await sleep(Math.min(interval, left), interrupted);
      if (interrupted.aborted) return { job, timedOut: false };
      interval = Math.min(Math.round(interval * 1.5), settings.maxPollMs);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** `ms`, or until `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
