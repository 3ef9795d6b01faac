/**
 * A SageMaker fake on the JSON 1.1 protocol (json-protocol.ts, target prefix SageMaker), its
 * operations typed by the SDK's own input and output types. DescribeEndpoint answers from a
 * script that each test plays: each call takes the next step (an output, a fault, or a `Delayed`
 * one), the last one repeating. The transform jobs (CreateTransformJob, DescribeTransformJob,
 * StopTransformJob) are sagemaker-transform.ts's, reached as `transformJobs`. Another operation
 * is one more entry in `SageMakerOperations` and one more handler.
 */
import type { DescribeEndpointInput, DescribeEndpointOutput } from "@aws-sdk/client-sagemaker";
import { awsJsonProtocol } from "./json-protocol.js";
import { ACCOUNT, REGION, TransformJobs, type TransformOperations } from "./sagemaker-transform.js";
import { AwsFault, type Delayed, FakeService } from "./service.js";

export { ACCOUNT, REGION };

export interface EndpointState {
  readonly name: string;
  readonly status: NonNullable<DescribeEndpointOutput["EndpointStatus"]>;
  readonly config: string;
  /** Updating: the configuration being deployed. */
  readonly pending?: string;
  readonly failureReason?: string;
  /** The rollback alarms of the last deployment. */
  readonly alarms?: string[];
}

/** DescribeEndpoint's answer for an endpoint in this state. */
export function describedEndpoint(s: EndpointState) {
  return {
    EndpointName: s.name,
    EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${s.name.toLowerCase()}`,
    EndpointConfigName: s.config,
    EndpointStatus: s.status,
    ...(s.failureReason ? { FailureReason: s.failureReason } : {}),
    CreationTime: new Date("2026-11-01T10:00:00Z"),
    LastModifiedTime: new Date("2026-12-01T10:00:00Z"),
    ProductionVariants: [
      { VariantName: "AllTraffic", CurrentInstanceCount: 2, DesiredInstanceCount: 2 },
    ],
    LastDeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: "CANARY",
          WaitIntervalInSeconds: 600,
          CanarySize: { Type: "INSTANCE_COUNT", Value: 1 },
        },
        TerminationWaitInSeconds: 0,
        MaximumExecutionTimeoutInSeconds: 3000,
      },
      ...(s.alarms
        ? { AutoRollbackConfiguration: { Alarms: s.alarms.map((AlarmName) => ({ AlarmName })) } }
        : {}),
    },
    ...(s.pending
      ? {
          PendingDeploymentSummary: {
            EndpointConfigName: s.pending,
            StartTime: new Date("2026-12-01T10:00:00Z"),
          },
        }
      : {}),
  } satisfies DescribeEndpointOutput;
}

export type SageMakerOperations = TransformOperations & {
  DescribeEndpoint: [DescribeEndpointInput, DescribeEndpointOutput];
};

export type Scripted<Output> = Output | AwsFault | Delayed<Output>;

/** Steps taken one per call, the last one repeating: a resource whose state moves on as it is polled. */
class Script<Output> {
  private steps: Scripted<Output>[] = [];
  private next = 0;

  play(steps: Scripted<Output>[]): void {
    this.steps = steps;
    this.next = 0;
  }

  take(): Output | Delayed<Output> {
    const step = this.steps[Math.min(this.next++, this.steps.length - 1)];
    if (step === undefined) throw new Error("SageMakerFake: play a script before calling it");
    if (step instanceof AwsFault) throw step;
    return step;
  }
}

export class SageMakerFake {
  private constructor(
    readonly service: FakeService<SageMakerOperations>,
    private readonly endpoint: Script<DescribeEndpointOutput>,
    readonly transformJobs: TransformJobs,
  ) {}

  static async start(): Promise<SageMakerFake> {
    const endpoint = new Script<DescribeEndpointOutput>();
    const transformJobs = new TransformJobs();
    const service = await FakeService.start<SageMakerOperations>(
      awsJsonProtocol("SageMaker", "1.1"),
      { DescribeEndpoint: () => endpoint.take(), ...transformJobs.handlers },
    );
    return new SageMakerFake(service, endpoint, transformJobs);
  }

  /** DescribeTransformJob answers the next calls from `steps`; past calls and faults are forgotten. */
  playTransform(steps: Parameters<TransformJobs["play"]>[0]): void {
    this.transformJobs.play(steps);
    this.service.reset();
  }

  /** DescribeEndpoint answers the next calls from `script`; past calls and faults are forgotten. */
  play(script: Scripted<DescribeEndpointOutput>[]): void {
    this.endpoint.play(script);
    this.service.reset();
  }

  /** DescribeEndpoint calls since the last play. */
  get describes(): number {
    return this.service.count("DescribeEndpoint");
  }
}
