/**
 * The AWS calls of a Lambda rollout (lambda-deployment-run.ts), each with a timeout and the SDK's retry,
 * and the AppSpec it deploys. Serialized with the provider's closure like the rest: the SDK
 * modules are required inside the functions.
 */
import type * as CodeDeploySdk from "@aws-sdk/client-codedeploy";
import type * as LambdaSdk from "@aws-sdk/client-lambda";
import type { AliasState, AppSpecLambda } from "./lambda-deployment-messages.js";
import type { RolloutInputs } from "./lambda-deployment-run.js";

export interface Aws {
  readonly cd: typeof CodeDeploySdk;
  readonly fn: typeof LambdaSdk;
  readonly codedeploy: CodeDeploySdk.CodeDeployClient;
  readonly lambda: LambdaSdk.LambdaClient;
}

/** The Lambda AppSpec as AWS documents it, and its SHA-256 (AppSpecContent.sha256). */
export function appSpecContent(
  inputs: Pick<RolloutInputs, "functionName" | "aliasName" | "targetVersion">,
  currentVersion: string,
): { content: string; sha256: string } {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const resources = [
    {
      [inputs.functionName]: {
        Type: "AWS::Lambda::Function",
        Properties: {
          Name: inputs.functionName,
          Alias: inputs.aliasName,
          CurrentVersion: currentVersion,
          TargetVersion: inputs.targetVersion,
        },
      },
    },
  ];
  // AWS's examples write the version as the number 0.0, which JSON.stringify would print as 0
  const content = `{"version":0.0,"Resources":${JSON.stringify(resources)}}`;
  return { content, sha256: createHash("sha256").update(content).digest("hex") };
}

/** The function, alias and versions a deployment's AppSpec names, when it is ours to read. */
export function appSpecOf(info: CodeDeploySdk.DeploymentInfo): AppSpecLambda | undefined {
  try {
    const spec = JSON.parse(info.revision?.appSpecContent?.content ?? "");
    const entry = Object.values(spec?.Resources?.[0] ?? {})[0] as { Properties?: unknown };
    const p = (entry?.Properties ?? {}) as Record<string, unknown>;
    if (typeof p.Name !== "string" || typeof p.Alias !== "string") return undefined;
    return {
      name: p.Name,
      alias: p.Alias,
      currentVersion: String(p.CurrentVersion),
      targetVersion: String(p.TargetVersion),
    };
  } catch {
    return undefined; // a YAML AppSpec, or a revision in S3: not one this provider started
  }
}

/** Clients for one provider call, closed when `use` is done. */
export async function withAws<T>(region: string, use: (aws: Aws) => Promise<T>): Promise<T> {
  const aws = connect(region);
  try {
    return await use(aws);
  } finally {
    aws.codedeploy.destroy();
    aws.lambda.destroy();
  }
}

function connect(region: string): Aws {
  const cd = require("@aws-sdk/client-codedeploy") as typeof CodeDeploySdk;
  const fn = require("@aws-sdk/client-lambda") as typeof LambdaSdk;
  // Each attempt connects within 5 s and is answered within 30 s; the SDK's standard retry
  // repeats throttling, 5xx and timed-out attempts with backoff, up to 5 attempts a call.
  // Credentials come from the SDK's default chain, the endpoint from AWS_ENDPOINT_URL_<SERVICE>.
  const config = {
    region,
    maxAttempts: 5,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    },
  };
  return {
    cd,
    fn,
    codedeploy: new cd.CodeDeployClient(config),
    lambda: new fn.LambdaClient(config),
  };
}

/** An AWS call whose failure says which call it was (the SDK's message alone does not). */
async function send<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const { name, message } = err as { name?: string; message?: string };
    throw new Error(`${what} failed: ${name ?? "Error"}: ${message ?? String(err)}`, {
      cause: err,
    });
  }
}

export async function aliasState(aws: Aws, inputs: RolloutInputs): Promise<AliasState> {
  const alias = await send(
    `Lambda GetAlias (${inputs.functionName}:${inputs.aliasName})`,
    aws.lambda.send(
      new aws.fn.GetAliasCommand({ FunctionName: inputs.functionName, Name: inputs.aliasName }),
    ),
  );
  return {
    version: alias.FunctionVersion ?? "",
    weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {},
  };
}

/** The group's deployment still under way (CodeDeploy runs one at a time per group), if any. */
export async function activeDeployment(
  aws: Aws,
  inputs: RolloutInputs,
): Promise<CodeDeploySdk.DeploymentInfo | undefined> {
  const listed = await send(
    "CodeDeploy ListDeployments",
    aws.codedeploy.send(
      new aws.cd.ListDeploymentsCommand({
        applicationName: inputs.applicationName,
        deploymentGroupName: inputs.deploymentGroupName,
        includeOnlyStatuses: ["Created", "Queued", "InProgress", "Baking", "Ready"],
      }),
    ),
  );
  const id = listed.deployments?.[0];
  return id ? await getDeployment(aws, id) : undefined;
}

export async function getDeployment(aws: Aws, deploymentId: string) {
  const got = await send(
    "CodeDeploy GetDeployment",
    aws.codedeploy.send(new aws.cd.GetDeploymentCommand({ deploymentId })),
  );
  return got.deploymentInfo ?? { deploymentId };
}

export async function startDeployment(aws: Aws, inputs: RolloutInputs, currentVersion: string) {
  const created = await send(
    "CodeDeploy CreateDeployment",
    aws.codedeploy.send(
      new aws.cd.CreateDeploymentCommand({
        applicationName: inputs.applicationName,
        deploymentGroupName: inputs.deploymentGroupName,
        description: `pulumi up: ${inputs.functionName}:${inputs.aliasName} version ${currentVersion} to ${inputs.targetVersion}`,
        revision: {
          revisionType: "AppSpecContent",
          appSpecContent: appSpecContent(inputs, currentVersion),
        },
      }),
    ),
  );
  if (!created.deploymentId) throw new Error("CodeDeploy CreateDeployment returned no id");
  return created.deploymentId;
}

/** How the deployment configuration shifts traffic (for the time left in the bake). */
export async function trafficRouting(aws: Aws, deploymentConfigName: string | undefined) {
  if (!deploymentConfigName) return undefined;
  const got = await send(
    "CodeDeploy GetDeploymentConfig",
    aws.codedeploy.send(new aws.cd.GetDeploymentConfigCommand({ deploymentConfigName })),
  );
  return got.deploymentConfigInfo?.trafficRoutingConfig;
}

export async function lambdaTargetId(aws: Aws, deploymentId: string) {
  const listed = await send(
    "CodeDeploy ListDeploymentTargets",
    aws.codedeploy.send(new aws.cd.ListDeploymentTargetsCommand({ deploymentId })),
  );
  return listed.targetIds?.[0];
}

/** The share of traffic on the target version, in percent (LambdaFunctionInfo). */
export async function targetWeight(aws: Aws, deploymentId: string, targetId: string) {
  const got = await send(
    "CodeDeploy GetDeploymentTarget",
    aws.codedeploy.send(new aws.cd.GetDeploymentTargetCommand({ deploymentId, targetId })),
  );
  return got.deploymentTarget?.lambdaTarget?.lambdaFunctionInfo?.targetVersionWeight;
}
