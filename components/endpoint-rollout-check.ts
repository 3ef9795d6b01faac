/**
 * EndpointRolloutCheck: after the endpoint's update, asks SageMaker (DescribeEndpoint) whether the
 * endpoint ended on the configuration this deployment gave it, and fails `pulumi up` visibly when
 * SageMaker rolled the rollout back (an alarm fired during the bake, or the deployment timed
 * out): the endpoint is InService again, but on the previous configuration. While the endpoint is
 * still Creating, Updating or RollingBack it waits, within a bound, and prints where the rollout
 * stands: a dynamic provider's stderr lines reach the CLI as info messages
 * (sdk/go/common/resource/plugin/plugin.go, runtrace).
 *
 * Failing here also keeps Pulumi from deleting the previous model and configuration, which the
 * endpoint is running again: the engine deletes replaced resources only after a deployment in
 * which every step succeeded (pkg/resource/deploy/deployment_executor.go, performPostSteps).
 *
 * The client takes its endpoint from the SDK's standard environment (AWS_ENDPOINT_URL_SAGEMAKER),
 * which is how tests point it at a local fake, and its credentials from the default chain.
 */
import {
  DescribeEndpointCommand,
  type DescribeEndpointOutput,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import * as pulumi from "@pulumi/pulumi";
import { awsClientConfig, type CallLimits, callWithin } from "./aws-call.js";

/** Every AWS action the check calls. */
export const ENDPOINT_ROLLOUT_CHECK_ACTIONS: readonly string[] = ["sagemaker:DescribeEndpoint"];

export interface EndpointRolloutCheckInputs {
  readonly region: string;
  readonly endpointName: string;
  /** The configuration this deployment put on the endpoint. */
  readonly endpointConfigName: string;
  /** Longest wait for the endpoint to leave Creating, Updating or RollingBack, in seconds. */
  readonly timeoutSeconds: number;
  /** Seconds between two DescribeEndpoint calls while it waits. */
  readonly pollSeconds: number;
}

/**
 * Statuses a rollout passes through; the check waits while the endpoint has one of them. An
 * array: Pulumi's closure serialization turns a captured Set into a plain object.
 */
const MOVING = ["Creating", "Updating", "SystemUpdating", "RollingBack"];
/** Longest one DescribeEndpoint may take (its SDK retries included), and the least it is given at the end of the wait. */
const LIMITS: CallLimits = { callMs: 30_000, floorMs: 2_000 };

const say = (line: string) => process.stderr.write(`endpoint rollout: ${line}\n`);

function describeDeployment(d: DescribeEndpointOutput): string {
  const routing = d.LastDeploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration;
  const alarms = d.LastDeploymentConfig?.AutoRollbackConfiguration?.Alarms?.map((a) => a.AlarmName);
  return [
    routing ? `blue/green ${routing.Type}, bake ${routing.WaitIntervalInSeconds ?? 0} s` : "",
    alarms?.length ? `rollback alarms ${alarms.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** Why the endpoint's state is not the deployment's success, or undefined when it is. */
function outcome(
  inputs: EndpointRolloutCheckInputs,
  d: DescribeEndpointOutput,
): string | undefined {
  const name = inputs.endpointName;
  const reason = d.FailureReason ? ` SageMaker says: ${d.FailureReason}.` : "";
  if (d.EndpointStatus === "InService" && d.EndpointConfigName === inputs.endpointConfigName) {
    return undefined;
  }
  if (d.EndpointStatus === "InService") {
    const how = describeDeployment(d);
    return (
      `SageMaker rolled endpoint ${name} back: it serves configuration ${d.EndpointConfigName}, not ${inputs.endpointConfigName} that this update deployed.${reason}` +
      `${how ? ` Last deployment: ${how}.` : ""} The endpoint is on the previous model; Pulumi's state names the new ` +
      "configuration, so every `pulumi up` stops here until you deploy a fixed model, pin the previous version " +
      "(pulumi config set iris-mlops:model.version <version>), or `pulumi refresh` and retry " +
      '(docs/runbook.md, "SageMaker rollout rolled back").'
    );
  }
  return `endpoint ${name} is ${d.EndpointStatus} (configuration ${d.EndpointConfigName}).${reason} See docs/runbook.md, "SageMaker rollout failed".`;
}

async function awaitRollout(inputs: EndpointRolloutCheckInputs): Promise<string> {
  const client = new SageMakerClient(awsClientConfig(inputs.region, 10_000));
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  say(
    `checking that ${inputs.endpointName} ends on ${inputs.endpointConfigName} (waiting at most ${inputs.timeoutSeconds} s)`,
  );
  try {
    for (;;) {
      let d: DescribeEndpointOutput;
      try {
        d = await callWithin(deadline, LIMITS, (options) =>
          client.send(new DescribeEndpointCommand({ EndpointName: inputs.endpointName }), options),
        );
      } catch (error) {
        throw new Error(
          `DescribeEndpoint ${inputs.endpointName} failed after ${elapsed()} s: ${(error as Error).name}: ${(error as Error).message}`,
        );
      }
      const status = d.EndpointStatus ?? "unknown";
      if (!MOVING.includes(status)) {
        const problem = outcome(inputs, d);
        if (problem) throw new Error(problem);
        say(
          `${inputs.endpointName} is InService on ${inputs.endpointConfigName} after ${elapsed()} s`,
        );
        return status;
      }
      const pending = d.PendingDeploymentSummary?.EndpointConfigName;
      const how = describeDeployment(d);
      say(
        `${inputs.endpointName} is ${status}${pending ? `, deploying ${pending}` : ""}${how ? ` (${how})` : ""}; ${elapsed()} s of at most ${inputs.timeoutSeconds} s`,
      );
      if (Date.now() + inputs.pollSeconds * 1000 > deadline) {
        throw new Error(
          `endpoint ${inputs.endpointName} is still ${status} after ${elapsed()} s (the rollout's timeout and a margin): it may still finish or roll back; see docs/runbook.md, "SageMaker rollout did not finish".`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, inputs.pollSeconds * 1000));
    }
  } finally {
    client.destroy();
  }
}

/** The check's provider (exported for its tests). */
export const endpointRolloutCheckProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const status = await awaitRollout(inputs as EndpointRolloutCheckInputs);
    return { id: `${inputs.endpointName}-rollout`, outs: { ...inputs, status } };
  },
  // a new configuration (or endpoint) is a new rollout to check; nothing else is
  async diff(_id, olds, news) {
    const changes =
      olds.endpointName !== news.endpointName ||
      olds.endpointConfigName !== news.endpointConfigName;
    return { changes };
  },
  async update(_id, _olds, news) {
    const status = await awaitRollout(news as EndpointRolloutCheckInputs);
    return { outs: { ...news, status } };
  },
};

export class EndpointRolloutCheck extends pulumi.dynamic.Resource {
  /** "InService": the endpoint ended on the configuration it was given. */
  declare readonly status: pulumi.Output<string>;

  constructor(
    name: string,
    args: { [K in keyof EndpointRolloutCheckInputs]: pulumi.Input<EndpointRolloutCheckInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      endpointRolloutCheckProvider,
      name,
      { ...args, status: undefined },
      opts,
      undefined,
      "EndpointRolloutCheck",
    );
  }
}
