/**
 * The AWS calls of a Lambda rollout (lambda-deployment-run.ts), each with the SDK's retry and a
 * time limit of its own, and the AppSpec it deploys; answers AWS does not document are refused. Serialized with the provider's closure like the rest: the SDK
 * modules are required inside the functions.
 */
import type * as CodeDeploySdk from "@aws-sdk/client-codedeploy";
import type * as LambdaSdk from "@aws-sdk/client-lambda";
import { awsClientConfig, type CallLimits, callWithin } from "./aws-call.js";
import type { AliasState, AppSpecLambda } from "./lambda-deployment-messages.js";
import type { RolloutInputs } from "./lambda-deployment-run.js";

export interface Aws {
  readonly cd: typeof CodeDeploySdk;
  readonly fn: typeof LambdaSdk;
  readonly codedeploy: CodeDeploySdk.CodeDeployClient;
  readonly lambda: LambdaSdk.LambdaClient;
  /** When the rollout gives up (epoch ms): no call outlasts it by more than LIMITS.floorMs. */
  readonly deadline: number;
}

/** Longest one call may take (the SDK's retries included), and the least it is given at the end of the rollout's wait. */
const LIMITS: CallLimits = { callMs: 60_000, floorMs: 2_000 };
/** Every status GetDeployment documents (DeploymentStatus). */
const STATUSES = [
  "Created",
  "Queued",
  "InProgress",
  "Baking",
  "Ready",
  "Succeeded",
  "Failed",
  "Stopped",
];

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

/** Clients for one provider call, whose calls end by `deadline`, closed when `use` is done. */
export async function withAws<T>(
  region: string,
  deadline: number,
  use: (aws: Aws) => Promise<T>,
): Promise<T> {
  const aws = connect(region, deadline);
  try {
    return await use(aws);
  } finally {
    aws.codedeploy.destroy();
    aws.lambda.destroy();
  }
}

function connect(region: string, deadline: number): Aws {
  const cd = require("@aws-sdk/client-codedeploy") as typeof CodeDeploySdk;
  const fn = require("@aws-sdk/client-lambda") as typeof LambdaSdk;
  // Each attempt has its headers within 30 s; `send` bounds the whole call, body included.
  // Credentials come from the SDK's default chain, the endpoint from AWS_ENDPOINT_URL_<SERVICE>.
  const config = awsClientConfig(region, 30_000);
  return {
    cd,
    fn,
    codedeploy: new cd.CodeDeployClient(config),
    lambda: new fn.LambdaClient(config),
    deadline,
  };
}

/**
 * An AWS call, ended within its time limit (and the rollout's deadline), whose failure says
 * which call it was (the SDK's message alone does not). The SDK aborts the request on the
 * signal; the race ends the call even where the SDK would keep reading a stalled body.
 */
async function send<T>(
  aws: Aws,
  what: string,
  call: (options: { abortSignal: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await callWithin(aws.deadline, LIMITS, call);
  } catch (err) {
    const { name, message } = err as { name?: string; message?: string };
    throw new Error(`${what} failed: ${name ?? "Error"}: ${message ?? String(err)}`, {
      cause: err,
    });
  }
}

export async function aliasState(aws: Aws, inputs: RolloutInputs): Promise<AliasState> {
  const what = `Lambda GetAlias (${inputs.functionName}:${inputs.aliasName})`;
  const alias = await send(aws, what, (options) =>
    aws.lambda.send(
      new aws.fn.GetAliasCommand({ FunctionName: inputs.functionName, Name: inputs.aliasName }),
      options,
    ),
  );
  if (!alias.FunctionVersion) {
    throw new Error(`${what} answered no FunctionVersion: not an answer Lambda documents`);
  }
  return {
    version: alias.FunctionVersion,
    weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {},
  };
}

/** The group's deployment still under way (CodeDeploy runs one at a time per group), if any. */
export async function activeDeployment(
  aws: Aws,
  inputs: RolloutInputs,
): Promise<CodeDeploySdk.DeploymentInfo | undefined> {
  const listed = await send(aws, "CodeDeploy ListDeployments", (options) =>
    aws.codedeploy.send(
      new aws.cd.ListDeploymentsCommand({
        applicationName: inputs.applicationName,
        deploymentGroupName: inputs.deploymentGroupName,
        includeOnlyStatuses: ["Created", "Queued", "InProgress", "Baking", "Ready"],
      }),
      options,
    ),
  );
  const id = listed.deployments?.[0];
  return id ? await getDeployment(aws, id) : undefined;
}

/** The deployment, with one of the statuses CodeDeploy documents (else a protocol error). */
export async function getDeployment(aws: Aws, deploymentId: string) {
  const got = await send(aws, "CodeDeploy GetDeployment", (options) =>
    aws.codedeploy.send(new aws.cd.GetDeploymentCommand({ deploymentId }), options),
  );
  const status = got.deploymentInfo?.status;
  if (status === undefined || !STATUSES.includes(status)) {
    const what = status === undefined ? "no status" : `status ${JSON.stringify(status)}`;
    throw new Error(
      `CodeDeploy GetDeployment answered ${what}, which CodeDeploy does not document, for ${deploymentId}`,
    );
  }
  return { ...got.deploymentInfo, deploymentId, status };
}

export async function startDeployment(aws: Aws, inputs: RolloutInputs, currentVersion: string) {
  const created = await send(aws, "CodeDeploy CreateDeployment", (options) =>
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
      options,
    ),
  );
  if (!created.deploymentId) throw new Error("CodeDeploy CreateDeployment returned no id");
  return created.deploymentId;
}

/** How the deployment configuration shifts traffic (for the time left in the bake). */
export async function trafficRouting(aws: Aws, deploymentConfigName: string | undefined) {
  if (!deploymentConfigName) return undefined;
  const got = await send(aws, "CodeDeploy GetDeploymentConfig", (options) =>
    aws.codedeploy.send(new aws.cd.GetDeploymentConfigCommand({ deploymentConfigName }), options),
  );
  return got.deploymentConfigInfo?.trafficRoutingConfig;
}

export async function lambdaTargetId(aws: Aws, deploymentId: string) {
  const listed = await send(aws, "CodeDeploy ListDeploymentTargets", (options) =>
    aws.codedeploy.send(new aws.cd.ListDeploymentTargetsCommand({ deploymentId }), options),
  );
  return listed.targetIds?.[0];
}

/** The share of traffic on the target version, in percent (LambdaFunctionInfo). */
export async function targetWeight(aws: Aws, deploymentId: string, targetId: string) {
  const got = await send(aws, "CodeDeploy GetDeploymentTarget", (options) =>
    aws.codedeploy.send(new aws.cd.GetDeploymentTargetCommand({ deploymentId, targetId }), options),
  );
  return got.deploymentTarget?.lambdaTarget?.lambdaFunctionInfo?.targetVersionWeight;
}
