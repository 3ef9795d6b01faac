/**
 * InstanceTypeGuard: stops `pulumi preview` and `pulumi up` before anything changes when an
 * endpoint's instance type would change while its variant is registered with Application Auto
 * Scaling. AWS refuses that UpdateEndpoint ("Update endpoints that use auto scaling" in the
 * SageMaker guide), and Pulumi would only deregister the scalable target after the update, so
 * the rollout would fail halfway with a new configuration created and the endpoint untouched.
 *
 * A program cannot see the previous deployment's values; a dynamic resource's `check` can (its
 * old inputs). It creates nothing in AWS and needs no permissions.
 */
import * as pulumi from "@pulumi/pulumi";

export interface InstanceTypeGuardInputs {
  readonly instanceType: string;
  /** Whether the variant is (to be) registered with Application Auto Scaling. */
  readonly autoscaling: boolean;
}

/** Why going from the deployed `olds` to `news` would fail, or undefined when it is allowed. */
export function instanceTypeChangeProblem(
  olds: Partial<InstanceTypeGuardInputs>,
  news: InstanceTypeGuardInputs,
): string | undefined {
  // turning autoscaling off in the same deployment is not enough: Pulumi deletes the scalable
  // target at the end, after the endpoint update
  if (olds.autoscaling !== true || olds.instanceType === undefined) return undefined;
  if (olds.instanceType === news.instanceType) return undefined;
  return (
    `the instance type cannot change from ${olds.instanceType} to ${news.instanceType} while ` +
    "autoscaling is registered: SageMaker refuses that UpdateEndpoint. Deploy in two steps: " +
    "first with autoscaling off (the stack: iris-mlops:sagemaker.autoscaling false) and the old " +
    "instance type, then with the new instance type and autoscaling back on (docs/runbook.md, " +
    '"Change the instance type").'
  );
}

/** The guard's provider (exported for its tests). */
export const instanceTypeGuardProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    const problem = instanceTypeChangeProblem(olds, news as InstanceTypeGuardInputs);
    return {
      inputs: news,
      failures: problem ? [{ property: "instanceType", reason: problem }] : [],
    };
  },
  async create(inputs) {
    return { id: "instance-type-guard", outs: inputs };
  },
  async diff(_id, olds, news) {
    const changes =
      olds.instanceType !== news.instanceType || olds.autoscaling !== news.autoscaling;
    return { changes };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};

export class InstanceTypeGuard extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof InstanceTypeGuardInputs]: pulumi.Input<InstanceTypeGuardInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(instanceTypeGuardProvider, name, args, opts, undefined, "InstanceTypeGuard");
  }
}
