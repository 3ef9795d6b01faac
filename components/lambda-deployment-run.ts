/**
 * What LambdaDeployment does in AWS during `pulumi up`: start a CodeDeploy deployment of the
 * alias from the version it serves to the target version, or join the one an interrupted
 * `pulumi up` left running, and watch it to its end.
 *
 * This runs in Pulumi's dynamic-provider host, serialized with its closure: every function
 * requires the SDK modules it uses inside itself and refers only to functions of this file,
 * lambda-deployment-calls.ts and lambda-deployment-messages.ts, so the host needs nothing but
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
} from "./lambda-deployment-calls.js";
import {
  endedMessage,
  lostTrackMessage,
  notServingMessage,
  otherDeploymentMessage,
  type Progress,
  progressLine,
  servesOnly,
  splitAliasMessage,
  timeoutMessage,
} from "./lambda-deployment-messages.js";

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

/** One provider call's rollout: its clients, inputs, deadline, poll interval and output. */
interface Run {
  readonly aws: Aws;
  readonly inputs: RolloutInputs;
  readonly deadline: number;
  readonly pollMs: number;
  readonly say: (line: string) => void;
}

/** Deploy `targetVersion` to the alias, or find it already there. Throws unless it ends there. */
export async function rollOut(inputs: RolloutInputs): Promise<RolloutOutcome> {
  const pollMs = pollInterval(); // a bad setting fails before anything starts
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  const say = (line: string) =>
    console.error(`[lambda rollout ${inputs.functionName}:${inputs.aliasName}] ${line}`);
  return withAws(inputs.region, deadline, async (aws) => {
    const run: Run = { aws, inputs, deadline, pollMs, say };
    const active = await activeDeployment(aws, inputs);
    if (active) return await join(run, active);
    const alias = await aliasState(aws, inputs);
    if (alias.version === inputs.targetVersion && !servesOnly(alias, inputs.targetVersion)) {
      throw new Error(splitAliasMessage(inputs, alias));
    }
    if (alias.version === inputs.targetVersion) {
      say(`already serves version ${alias.version}: nothing to deploy`);
      return { status: "Unchanged", fromVersion: alias.version, toVersion: alias.version };
    }
    // the checks above may have used the whole wait (slow answers): never start a deployment
    // this run would then not watch
    if (Date.now() >= deadline) {
      throw new Error(
        `Lambda rollout of ${inputs.functionName}:${inputs.aliasName} to version ${inputs.targetVersion} did not start: its ${inputs.timeoutSeconds} s were used up before CreateDeployment (AWS answered slowly); nothing was deployed, and the next \`pulumi up\` tries again`,
      );
    }
    const id = await startDeployment(aws, inputs, alias.version).catch(async (err: Error) => {
      // the SDK retries a CreateDeployment whose answer was lost (a 5xx, a timeout): the retry
      // is refused because the first attempt's deployment is running, and that one is ours
      if ((err.cause as Error | undefined)?.name !== "DeploymentLimitExceededException") throw err;
      return (await activeDeployment(aws, inputs)) ?? Promise.reject(err);
    });
    if (typeof id !== "string") return await join(run, id);
    say(`${id} started: version ${alias.version} to ${inputs.targetVersion}`);
    return await follow(run, id, alias.version);
  });
}

/**
 * Wait for a deployment already under way when it deploys our target; else say whose it is. A
 * rollback is never ours, whatever its AppSpec names: it ends on the version it rolls back to.
 */
async function join(run: Run, active: CodeDeploySdk.DeploymentInfo): Promise<RolloutOutcome> {
  const { inputs } = run;
  const spec = appSpecOf(active);
  const rollback =
    active.rollbackInfo?.rollbackTriggeringDeploymentId !== undefined ||
    /rollback/i.test(active.creator ?? "");
  const ours =
    !rollback &&
    spec?.name === inputs.functionName &&
    spec.alias === inputs.aliasName &&
    spec.targetVersion === inputs.targetVersion;
  if (!spec || !ours) throw new Error(otherDeploymentMessage(inputs, active, spec));
  const id = active.deploymentId ?? "";
  run.say(`${id} (${active.status}) already deploys version ${spec.targetVersion}: waiting for it`);
  return await follow(run, id, spec.currentVersion);
}

/** The version the alias serves (`pulumi refresh`). */
export function aliasVersion(inputs: RolloutInputs): Promise<string> {
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  return withAws(inputs.region, deadline, async (aws) => (await aliasState(aws, inputs)).version);
}

/** Poll the deployment until it ends or the deadline passes, saying where it stands. */
async function follow(
  run: Run,
  deploymentId: string,
  fromVersion: string,
): Promise<RolloutOutcome> {
  const { aws, inputs, say } = run;
  const lostTrack = (err: Error) =>
    new Error(lostTrackMessage(inputs, deploymentId, err), { cause: err });
  let routing: CodeDeploySdk.TrafficRoutingConfig | undefined;
  let routingRead = false;
  let targetId: string | undefined;
  let said = { line: "", at: 0 };
  for (;;) {
    const info = await getDeployment(aws, deploymentId).catch((err: Error) => {
      throw lostTrack(err);
    });
    if (info.status === "Succeeded") {
      // the deployment's word is not the alias's: read it back before saying it serves the target
      const alias = await aliasState(aws, inputs);
      if (!servesOnly(alias, inputs.targetVersion)) {
        throw new Error(notServingMessage(inputs, deploymentId, alias));
      }
      say(`${deploymentId} Succeeded: version ${inputs.targetVersion} serves all traffic`);
      return { status: "Succeeded", deploymentId, fromVersion, toVersion: inputs.targetVersion };
    }
    if (info.status === "Failed" || info.status === "Stopped") {
      const rollback = await awaitRollback(run, info).catch((err: Error) => err);
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
      throw lostTrack(err as Error);
    }
    const { line, timeLeft } = progressLine(inputs, progress);
    if (line !== said.line || progress.now - said.at >= 60_000) {
      say(timeLeft ? `${line}, ${timeLeft}` : line);
      said = { line, at: progress.now };
    }
    // left running, not stopped: its alarms still guard it (docs/deploy.md, "Timed out")
    if (Date.now() >= run.deadline) throw new Error(timeoutMessage(inputs, progress));
    await pause(run);
  }
}

/** Wait (within the deadline) for the rollback CodeDeploy started; its last status seen. */
async function awaitRollback(
  run: Run,
  info: CodeDeploySdk.DeploymentInfo,
): Promise<CodeDeploySdk.DeploymentInfo | undefined> {
  const id = info.rollbackInfo?.rollbackDeploymentId;
  if (!id) return undefined;
  run.say(`${info.deploymentId} ${info.status}: CodeDeploy rolls back with ${id}`);
  for (;;) {
    const rollback = await getDeployment(run.aws, id);
    const ended = ["Succeeded", "Failed", "Stopped"].includes(rollback.status ?? "");
    if (ended || Date.now() >= run.deadline) return rollback;
    await pause(run);
  }
}

/**
 * Seconds between polls: 15, or IRIS_MLOPS_ROLLOUT_POLL_SECONDS in the environment of
 * `pulumi up` (the tests poll their local fakes every few milliseconds). Not 0: that would
 * poll AWS in a loop as fast as it answers.
 */
export function pollInterval(): number {
  const set = process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS;
  if (set === undefined || set === "") return 15_000;
  const seconds = Number(set);
  if (!(seconds > 0 && seconds <= 300)) {
    throw new Error(
      `IRIS_MLOPS_ROLLOUT_POLL_SECONDS must be a number of seconds more than 0 and at most 300, got ${set}`,
    );
  }
  return seconds * 1000;
}

/** One poll interval, or what is left of it before the deadline. */
function pause({ pollMs, deadline }: Run): Promise<void> {
  return new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, Math.min(pollMs, deadline - Date.now()))),
  );
}
