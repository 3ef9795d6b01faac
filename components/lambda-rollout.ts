/**
 * What LambdaDeployment does in AWS during `pulumi up`: start a CodeDeploy deployment of the
 * alias from the version it serves to the target version, or join the one an interrupted
 * `pulumi up` left running, and watch it to its end.
 *
 * This runs in Pulumi's dynamic-provider host, serialized with its closure: every function
 * requires the SDK modules it uses inside itself and refers only to functions of this file,
 * lambda-rollout-calls.ts and lambda-rollout-messages.ts, so the host needs nothing but
 * node_modules. The host has no
 * connection to the engine (pulumi/pulumi#6065); the CLI shows each line it writes to stderr as
 * an info diagnostic, which is how the user sees where the rollout stands.
 */
import type * as CodeDeploySdk from "@aws-sdk/client-codedeploy";
import {
  type Aws,
  activeDeployment,
  aliasState,
  appSpecOf,
  getDeployment,
  lambdaTargetId,
  startDeployment,
  targetWeight,
  trafficRouting,
  withAws,
} from "./lambda-rollout-calls.js";
import {
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

type Say = (line: string) => void;

/** Deploy `targetVersion` to the alias, or find it already there. Throws unless it ends there. */
export async function rollOut(inputs: RolloutInputs): Promise<RolloutOutcome> {
  const say: Say = (line) =>
    console.error(`[lambda rollout ${inputs.functionName}:${inputs.aliasName}] ${line}`);
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  return withAws(inputs.region, async (aws) => {
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
  });
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
export function aliasVersion(inputs: RolloutInputs): Promise<string> {
  return withAws(inputs.region, async (aws) => (await aliasState(aws, inputs)).version);
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
    await pause(pollMs, deadline);
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
    await pause(pollMs, deadline);
  }
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

/** One poll interval, or what is left of it before the deadline. */
function pause(pollMs: number, deadline: number): Promise<void> {
  return new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, Math.min(pollMs, deadline - Date.now()))),
  );
}
