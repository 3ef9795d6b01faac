/**
 * PLACEHOLDER, replaced at merge by rollout-deploy's LambdaDeployment (the interface is fixed in
 * the #10 rollout contract). It starts no CodeDeploy deployment: create and update answer
 * "Unchanged" with the target version on both sides, so the components that use it can be
 * written and tested against its real interface in the meantime.
 */
import * as pulumi from "@pulumi/pulumi";

export interface LambdaDeploymentArgs {
  /** Region of the function and the deployment group (aws.getRegionOutput().name). */
  readonly region: pulumi.Input<string>;
  readonly applicationName: pulumi.Input<string>; // aws.codedeploy.Application.name
  readonly deploymentGroupName: pulumi.Input<string>; // aws.codedeploy.DeploymentGroup.deploymentGroupName
  readonly functionName: pulumi.Input<string>;
  readonly aliasName: pulumi.Input<string>; // "live"
  /** The published version the alias must end on (aws.lambda.Function.version with publish: true). */
  readonly targetVersion: pulumi.Input<string>;
  /** Longest wait for the deployment to finish, in seconds (bake time plus a margin). */
  readonly timeoutSeconds: pulumi.Input<number>;
}

interface Outs {
  readonly status: string;
  readonly fromVersion: string;
  readonly toVersion: string;
}

const unchanged = (inputs: { targetVersion: string }): Outs => ({
  status: "Unchanged",
  fromVersion: inputs.targetVersion,
  toVersion: inputs.targetVersion,
});

const placeholderProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "lambda-deployment", outs: { ...inputs, ...unchanged(inputs) } };
  },
  async update(_id, _olds, news) {
    return { outs: { ...news, ...unchanged(news) } };
  },
};

export class LambdaDeployment extends pulumi.dynamic.Resource {
  /** "Succeeded" after a deployment; "Unchanged" when the alias already served targetVersion. */
  declare readonly status: pulumi.Output<string>;
  declare readonly deploymentId: pulumi.Output<string | undefined>;
  declare readonly fromVersion: pulumi.Output<string>;
  declare readonly toVersion: pulumi.Output<string>;

  constructor(name: string, args: LambdaDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      placeholderProvider,
      name,
      {
        ...args,
        status: undefined,
        deploymentId: undefined,
        fromVersion: undefined,
        toVersion: undefined,
      },
      opts,
      undefined,
      "LambdaDeployment",
    );
  }
}

/** Every AWS action the provider calls, e.g. "codedeploy:CreateDeployment", "lambda:GetAlias". */
export const LAMBDA_DEPLOYMENT_ACTIONS: readonly string[] = [
  "codedeploy:CreateDeployment",
  "codedeploy:GetDeployment",
  "codedeploy:GetDeploymentConfig",
  "codedeploy:GetApplicationRevision",
  "codedeploy:RegisterApplicationRevision",
  "codedeploy:ListDeployments",
  "codedeploy:ListDeploymentTargets",
  "codedeploy:GetDeploymentTarget",
  "codedeploy:StopDeployment",
  "lambda:GetAlias",
];
