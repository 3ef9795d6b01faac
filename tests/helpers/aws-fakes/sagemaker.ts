/**
 * A fake of SageMaker's DescribeEndpoint over the JSON 1.1 protocol (json-rpc.ts): each call
 * takes the next answer of a script, the last one repeating. Fixtures are typed by the SDK's own
 * output type, and go over the wire in its serialised form.
 */
import type { DescribeEndpointOutput } from "@aws-sdk/client-sagemaker";
import { type JsonRpcAnswer, JsonRpcFake, toWire } from "./json-rpc.js";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

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

export type Scripted = DescribeEndpointOutput | JsonRpcAnswer;

const isAnswer = (s: Scripted): s is JsonRpcAnswer => "body" in s;

/** A SageMaker fake answering DescribeEndpoint from a script that each test sets. */
export class SageMakerFake {
  private script: Scripted[] = [];
  private next = 0;

  private constructor(readonly server: JsonRpcFake) {}

  static async start(): Promise<SageMakerFake> {
    let fake: SageMakerFake | undefined;
    const server = await JsonRpcFake.start("SageMaker", ({ operation }) => {
      if (operation !== "DescribeEndpoint" || !fake) {
        return { status: 400, body: { __type: "UnknownOperationException", message: operation } };
      }
      const step = fake.script[Math.min(fake.next++, fake.script.length - 1)] as Scripted;
      return isAnswer(step) ? step : { body: toWire(step) };
    });
    fake = new SageMakerFake(server);
    return fake;
  }

  get url(): string {
    return this.server.url;
  }

  /** Answer the next calls from `script`, in order, the last one repeating; forget past calls. */
  play(script: Scripted[]): void {
    this.script = script;
    this.next = 0;
    this.server.calls.length = 0;
  }

  /** DescribeEndpoint calls since the last play. */
  get describes(): number {
    return this.server.callsOf("DescribeEndpoint").length;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
