/**
 * LambdaDeployment: the CodeDeploy deployment that moves the function's alias to a new published
 * version, started and watched by `pulumi up` (no Pulumi resource exists for a deployment).
 *
 * Create and update read the version the alias serves at run time: when it already is the
 * target, nothing is deployed ("Unchanged"); otherwise a deployment from that version to the
 * target runs in the deployment group (canary, linear or all at once, rolled back by its alarms)
 * and `pulumi up` waits for its end, printing where it stands. A deployment that is rolled back,
 * fails or outlasts `timeoutSeconds` fails the update with what happened and what to do
 * (lambda-deployment-messages.ts). A deployment an interrupted `pulumi up` left running is waited
 * for when it deploys the same version, and named when it deploys another.
 *
 * Diff: a new target version, function, alias, group or region is a change; so is an alias that
 * `pulumi refresh` found on another version than the target. Delete leaves AWS as it is.
 */
import * as pulumi from "@pulumi/pulumi";
import { aliasVersion, type RolloutInputs, rollOut } from "./lambda-deployment-run.js";

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

/** Every AWS action the provider calls (the deploy role needs them during `pulumi up`). */
export const LAMBDA_DEPLOYMENT_ACTIONS: readonly string[] = [
  "codedeploy:CreateDeployment",
  "codedeploy:GetDeployment",
  "codedeploy:GetDeploymentConfig",
  "codedeploy:GetDeploymentTarget",
  "codedeploy:ListDeployments",
  "codedeploy:ListDeploymentTargets",
  "lambda:GetAlias",
];

type State = RolloutInputs & Record<string, unknown>;

/**
 * The longest wait the rollout components ask for: CodeDeploy's 48 hours of traffic shifting and
 * lambda-rollout.ts's 10-minute margin (deploymentTimeoutSeconds; its tests hold them together).
 */
const MAX_TIMEOUT_SECONDS = (48 * 60 + 10) * 60;

/** Why the inputs cannot be deployed, per input; unknown values (a preview) pass. */
function inputFailures(news: Record<string, unknown>) {
  const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the SDK's rpc.unknownValue
  const failures: { property: string; reason: string }[] = [];
  const names = ["region", "applicationName", "deploymentGroupName", "functionName", "aliasName"];
  for (const property of names) {
    const value = news[property];
    if (value !== unknown && (typeof value !== "string" || value === "")) {
      failures.push({ property, reason: `${property} must be a non-empty string` });
    }
  }
  const version = news.targetVersion;
  if (version !== unknown && !(typeof version === "string" && /^[1-9][0-9]{0,9}$/.test(version))) {
    failures.push({
      property: "targetVersion",
      reason: `targetVersion must be a published version number (the function's \`publish: true\`), got ${JSON.stringify(version)}`,
    });
  }
  const timeout = news.timeoutSeconds;
  const inRange = typeof timeout === "number" && timeout > 0 && timeout <= MAX_TIMEOUT_SECONDS;
  if (timeout !== unknown && !inRange) {
    failures.push({
      property: "timeoutSeconds",
      reason: `timeoutSeconds must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (48 hours of shifting and 10 minutes), got ${JSON.stringify(timeout)}`,
    });
  }
  return failures;
}

/** The provider (exported for its tests, which run it in Pulumi's dynamic-provider host). */
export const lambdaDeploymentProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news, failures: inputFailures(news) };
  },
  async diff(_id, olds, news) {
    const keys = [
      "region",
      "applicationName",
      "deploymentGroupName",
      "functionName",
      "aliasName",
      "targetVersion",
    ];
    const changed = keys.some((key) => olds[key] !== news[key]);
    // `pulumi refresh` records the version the alias serves; deploy the target again if it moved
    const drifted = olds.toVersion !== undefined && olds.toVersion !== news.targetVersion;
    return { changes: changed || drifted };
  },
  async create(inputs: State) {
    const outcome = await rollOut(inputs);
    return { id: `${inputs.functionName}:${inputs.aliasName}`, outs: { ...inputs, ...outcome } };
  },
  async update(_id, _olds, news: State) {
    return { outs: { ...news, ...(await rollOut(news)) } };
  },
  async read(id, props: State) {
    return { id, props: { ...props, toVersion: await aliasVersion(props) } };
  },
  async delete() {
    // the alias stays where the last deployment left it; a deployment has nothing to delete
  },
};

export class LambdaDeployment extends pulumi.dynamic.Resource {
  /** "Succeeded" after a deployment; "Unchanged" when the alias already served targetVersion. */
  declare readonly status: pulumi.Output<string>;
  declare readonly deploymentId: pulumi.Output<string | undefined>;
  declare readonly fromVersion: pulumi.Output<string>;
  declare readonly toVersion: pulumi.Output<string>;

  constructor(name: string, args: LambdaDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      status: undefined,
      deploymentId: undefined,
      fromVersion: undefined,
      toVersion: undefined,
    };
    super(
      lambdaDeploymentProvider,
      name,
      { ...args, ...outputs },
      opts,
      undefined,
      "LambdaDeployment",
    );
  }
}
