/**
 * What LambdaDeployment does in AWS during `pulumi up`: start a CodeDeploy deployment of the
 * alias from the version it serves to the target version, or join the one an interrupted
 * `pulumi up` left running, and watch it to its end.
 *
 * This runs in Pulumi's dynamic-provider host, serialized with its closure: every function
 * requires the SDK modules it uses inside itself and refers only to functions of this file and
 * of lambda-rollout-messages.ts, so the host needs nothing but node_modules. The host has no
 * connection to the engine (pulumi/pulumi#6065); the CLI shows each line it writes to stderr as
 * an info diagnostic, which is how the user sees where the rollout stands.
 */
import type * as CodeDeploySdk from "@aws-sdk/client-codedeploy";
import type * as LambdaSdk from "@aws-sdk/client-lambda";
import {
  type AliasState,
  type AppSpecLambda,
  endedMessage,
  lostTrackMessage,
  otherDeploymentMessage,
  type Progress,
  progressLine,
  timeoutMessage,
} from "./lambda-rollout-messages.js";

export interface RolloutInputs {
  readonly region: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly functionName: string;
  readonly aliasName: string;
  readonly targetVersion: string;
  readonly timeoutSeconds: number;
}

export interface RolloutOutcome {
  readonly status: "Succeeded" | "Unchanged";
  readonly deploymentId?: string;
  readonly fromVersion: string;
  readonly toVersion: string;
}

interface Aws {
  readonly cd: typeof CodeDeploySdk;
  readonly fn: typeof LambdaSdk;
  readonly codedeploy: CodeDeploySdk.CodeDeployClient;
  readonly lambda: LambdaSdk.LambdaClient;
}

type Say = (line: string) => void;

/** Deploy `targetVersion` to the alias, or find it already there. Throws unless it ends there. */
export async function rollOut(inputs: RolloutInputs): Promise<RolloutOutcome> {
  const say: Say = (line) =>
    console.error(`[lambda rollout ${inputs.functionName}:${inputs.aliasName}] ${line}`);
  const aws = connect(inputs.region);
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  try {
    const active = await activeDeployment(aws, inputs);
    if (active) return await join(aws, inputs, active, deadline, say);
    const alias = await aliasState(aws, inputs);
    if (alias.version === inputs.targetVersion) {
      say(`already serves version ${alias.version}: nothing to deploy`);
      return { status: "Unchanged", fromVersion: alias.version, toVersion: alias.version };
    }
    const id = await startDeployment(aws, inputs, alias.version).catch(async (err: Error) => {
      // the SDK retries a CreateDeployment whose answer was lost (a 5xx, a timeout): the retry
      // is refused because the first attempt's deployment is running, and that one is ours
      if ((err.cause as Error | undefined)?.name !== "DeploymentLimitExceededException") throw err;
      return (await activeDeployment(aws, inputs)) ?? Promise.reject(err);
    });
    if (typeof id !== "string") return await join(aws, inputs, id, deadline, say);
    say(`${id} started: version ${alias.version} to ${inputs.targetVersion}`);
    return await follow(aws, inputs, id, alias.version, deadline, say);
  } finally {
    aws.codedeploy.destroy();
    aws.lambda.destroy();
  }
}

/** Wait for a deployment already under way when it deploys our target; else say whose it is. */
async function join(
  aws: Aws,
  inputs: RolloutInputs,
  active: CodeDeploySdk.DeploymentInfo,
  deadline: number,
  say: Say,
): Promise<RolloutOutcome> {
  const spec = appSpecOf(active);
  const ours =
    spec?.name === inputs.functionName &&
    spec.alias === inputs.aliasName &&
    spec.targetVersion === inputs.targetVersion;
  if (!spec || !ours) throw new Error(otherDeploymentMessage(inputs, active, spec));
  const id = active.deploymentId ?? "";
  say(`${id} (${active.status}) already deploys version ${spec.targetVersion}: waiting for it`);
  return await follow(aws, inputs, id, spec.currentVersion, deadline, say);
}

/** The version the alias serves (`pulumi refresh`). */
export async function aliasVersion(inputs: RolloutInputs): Promise<string> {
  const aws = connect(inputs.region);
  try {
    return (await aliasState(aws, inputs)).version;
  } finally {
    aws.codedeploy.destroy();
    aws.lambda.destroy();
  }
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

async function aliasState(aws: Aws, inputs: RolloutInputs): Promise<AliasState> {
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
async function activeDeployment(
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

async function getDeployment(aws: Aws, deploymentId: string) {
  const got = await send(
    "CodeDeploy GetDeployment",
    aws.codedeploy.send(new aws.cd.GetDeploymentCommand({ deploymentId })),
  );
  return got.deploymentInfo ?? { deploymentId };
}

async function startDeployment(aws: Aws, inputs: RolloutInputs, currentVersion: string) {
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

/** Poll the deployment until it ends or the deadline passes, saying where it stands. */
async function follow(
  aws: Aws,
  inputs: RolloutInputs,
  deploymentId: string,
  fromVersion: string,
  deadline: number,
  say: Say,
): Promise<RolloutOutcome> {
  const pollMs = pollInterval();
  let routing: CodeDeploySdk.TrafficRoutingConfig | undefined;
  let routingRead = false;
  let targetId: string | undefined;
  let said = { line: "", at: 0 };
  for (;;) {
    const info = await getDeployment(aws, deploymentId).catch((err: Error) => {
      throw new Error(lostTrackMessage(inputs, deploymentId, err), { cause: err });
    });
    if (info.status === "Succeeded") {
      say(`${deploymentId} Succeeded: version ${inputs.targetVersion} serves all traffic`);
      return { status: "Succeeded", deploymentId, fromVersion, toVersion: inputs.targetVersion };
    }
    if (info.status === "Failed" || info.status === "Stopped") {
      const rollback = await awaitRollback(aws, info, deadline, pollMs, say).catch(
        (err: Error) => err,
      );
      const alias = await aliasState(aws, inputs).catch((err: Error) => err);
      throw new Error(endedMessage(inputs, info, fromVersion, rollback, alias));
    }
    let progress: Progress;
    try {
      if (!routingRead) routing = await trafficRouting(aws, info.deploymentConfigName);
      routingRead = true;
      targetId ??= await lambdaTargetId(aws, deploymentId);
      const weight = targetId ? await targetWeight(aws, deploymentId, targetId) : undefined;
      progress = { deploymentId, info, fromVersion, weight, routing, now: Date.now() };
    } catch (err) {
      throw new Error(lostTrackMessage(inputs, deploymentId, err as Error), { cause: err });
    }
    const { line, timeLeft } = progressLine(inputs, progress);
    if (line !== said.line || progress.now - said.at >= 60_000) {
      say(timeLeft ? `${line}, ${timeLeft}` : line);
      said = { line, at: progress.now };
    }
    if (Date.now() >= deadline) throw new Error(timeoutMessage(inputs, progress));
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, deadline - Date.now())));
  }
}

/** Wait (within the deadline) for the rollback CodeDeploy started; its final status, if seen. */
async function awaitRollback(
  aws: Aws,
  info: CodeDeploySdk.DeploymentInfo,
  deadline: number,
  pollMs: number,
  say: Say,
): Promise<CodeDeploySdk.DeploymentInfo | undefined> {
  const id = info.rollbackInfo?.rollbackDeploymentId;
  if (!id) return undefined;
  say(`${info.deploymentId} ${info.status}: CodeDeploy rolls back with ${id}`);
  for (;;) {
    const rollback = await getDeployment(aws, id);
    const done = rollback.status === "Succeeded" || rollback.status === "Failed";
    if (done || rollback.status === "Stopped" || Date.now() >= deadline) return rollback;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, deadline - Date.now())));
  }
}

/** How the deployment configuration shifts traffic (for the time left in the bake). */
async function trafficRouting(aws: Aws, deploymentConfigName: string | undefined) {
  if (!deploymentConfigName) return undefined;
  const got = await send(
    "CodeDeploy GetDeploymentConfig",
    aws.codedeploy.send(new aws.cd.GetDeploymentConfigCommand({ deploymentConfigName })),
  );
  return got.deploymentConfigInfo?.trafficRoutingConfig;
}

async function lambdaTargetId(aws: Aws, deploymentId: string) {
  const listed = await send(
    "CodeDeploy ListDeploymentTargets",
    aws.codedeploy.send(new aws.cd.ListDeploymentTargetsCommand({ deploymentId })),
  );
  return listed.targetIds?.[0];
}

/** The share of traffic on the target version, in percent (LambdaFunctionInfo). */
async function targetWeight(aws: Aws, deploymentId: string, targetId: string) {
  const got = await send(
    "CodeDeploy GetDeploymentTarget",
    aws.codedeploy.send(new aws.cd.GetDeploymentTargetCommand({ deploymentId, targetId })),
  );
  return got.deploymentTarget?.lambdaTarget?.lambdaFunctionInfo?.targetVersionWeight;
}

/**
 * Seconds between polls: 15, or IRIS_MLOPS_ROLLOUT_POLL_SECONDS in the environment of
 * `pulumi up` (the tests poll their local fakes every few milliseconds).
 */
function pollInterval(): number {
  const set = process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS;
  if (set === undefined || set === "") return 15_000;
  const seconds = Number(set);
  if (!(seconds > 0 && seconds <= 300)) {
    throw new Error(
      `IRIS_MLOPS_ROLLOUT_POLL_SECONDS must be a number of seconds from 0 to 300, got ${set}`,
    );
  }
  return seconds * 1000;
}
