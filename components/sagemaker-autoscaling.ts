/**
 * Target-tracking autoscaling of a SageMaker variant's instance count (Application Auto
 * Scaling): a scalable target between the fewest and most instances, and a policy that holds the
 * invocations per instance near a target.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface VariantScalingArgs {
  readonly endpointName: pulumi.Input<string>;
  readonly variantName: string;
  readonly minCapacity: pulumi.Input<number>;
  readonly maxCapacity: pulumi.Input<number>;
  readonly targetInvocationsPerInstance: pulumi.Input<number>;
  readonly scaleInCooldown: pulumi.Input<number>;
  readonly scaleOutCooldown: pulumi.Input<number>;
}

export function createVariantScaling(
  name: string,
  args: VariantScalingArgs,
  opts: pulumi.CustomResourceOptions,
): { target: aws.appautoscaling.Target; policy: aws.appautoscaling.Policy } {
  const target = new aws.appautoscaling.Target(
    `${name}-scaling-target`,
    {
      serviceNamespace: "sagemaker",
      resourceId: pulumi.interpolate`endpoint/${args.endpointName}/variant/${args.variantName}`,
      scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      minCapacity: args.minCapacity,
      maxCapacity: args.maxCapacity,
    },
    opts,
  );
  const policy = new aws.appautoscaling.Policy(
    `${name}-scaling-policy`,
    {
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: {
          predefinedMetricType: "SageMakerVariantInvocationsPerInstance",
        },
        targetValue: args.targetInvocationsPerInstance,
        scaleInCooldown: args.scaleInCooldown,
        scaleOutCooldown: args.scaleOutCooldown,
      },
    },
    opts,
  );
  return { target, policy };
}
