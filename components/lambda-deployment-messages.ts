/**
 * What a Lambda rollout says: one progress line per change while it runs, and the error that
 * fails `pulumi up` when it does not end on the target version (which deployment, why, where the
 * traffic is, and what to do next). Pure functions, serialized with the provider's closure.
 */
import type { DeploymentInfo, TrafficRoutingConfig } from "@aws-sdk/client-codedeploy";

interface Rollout {
  readonly region: string;
  readonly deploymentGroupName: string;
  readonly functionName: string;
  readonly aliasName: string;
  readonly targetVersion: string;
  readonly timeoutSeconds: number;
}

/** What a deployment's AppSpec names. */
export interface AppSpecLambda {
  readonly name: string;
  readonly alias: string;
  readonly currentVersion: string;
  readonly targetVersion: string;
}

export interface AliasState {
  readonly version: string;
  /** Lambda's AdditionalVersionWeights: version to share of traffic, from 0 to 1. */
  readonly weights: Record<string, number>;
}

export interface Progress {
  readonly deploymentId: string;
  readonly info: DeploymentInfo;
  readonly fromVersion: string;
  /** Percent of traffic on the target version (LambdaFunctionInfo.targetVersionWeight). */
  readonly weight: number | undefined;
  readonly routing: TrafficRoutingConfig | undefined;
  readonly now: number;
}

/** The progress line (without the time left, so that it changes only when the rollout does). */
export function progressLine(r: Rollout, p: Progress): { line: string; timeLeft?: string } {
  const status = p.info.status ?? "status unknown";
  const traffic =
    p.weight === undefined
      ? `version ${p.fromVersion} to ${r.targetVersion}, traffic share not reported yet`
      : `${p.weight}% of traffic on version ${r.targetVersion}, the rest on ${p.fromVersion}`;
  const line = `${p.deploymentId} ${status}: ${traffic}`;
  const end = shiftEnd(p.info, p.routing);
  if (status !== "InProgress" || end === undefined || end <= p.now) return { line };
  return { line, timeLeft: `about ${duration(end - p.now)} left in the bake` };
}

/** When the configuration has all traffic on the new version, counted from the start. */
function shiftEnd(info: DeploymentInfo, routing: TrafficRoutingConfig | undefined) {
  const start = (info.startTime ?? info.createTime)?.getTime();
  if (start === undefined || routing === undefined) return undefined;
  const minute = 60_000;
  if (routing.type === "TimeBasedCanary") {
    return start + (routing.timeBasedCanary?.canaryInterval ?? 0) * minute;
  }
  if (routing.type === "TimeBasedLinear") {
    const step = routing.timeBasedLinear?.linearPercentage ?? 100;
    const steps = Math.ceil(100 / Math.max(step, 1)) - 1; // the first step comes at the start
    return start + steps * (routing.timeBasedLinear?.linearInterval ?? 0) * minute;
  }
  return undefined; // AllAtOnce: no bake
}

function duration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}

const RUNBOOK = 'docs/runbook.md, "A Lambda rollout failed"';

/** A deployment that ended Failed or Stopped: why, the rollback, and where traffic is now. */
export function endedMessage(
  r: Rollout,
  info: DeploymentInfo,
  fromVersion: string,
  rollback: DeploymentInfo | Error | undefined,
  alias: AliasState | Error,
): string {
  const error = info.errorInformation;
  const detail = error ? ` (${error.code ?? "no code"}: ${error.message ?? "no message"})` : "";
  const why =
    error?.code === "ALARM_ACTIVE"
      ? `an alarm fired${detail}`
      : info.status === "Stopped"
        ? `it was stopped${detail}`
        : `it failed${detail}`;
  const note = info.rollbackInfo?.rollbackMessage ? `: ${info.rollbackInfo.rollbackMessage}` : "";
  const rolledBack =
    rollback === undefined
      ? `CodeDeploy started no rollback${note}.`
      : rollback instanceof Error
        ? `Whether its rollback finished is unknown (${rollback.message}).`
        : rollback.status === "Succeeded"
          ? `CodeDeploy rolled it back with deployment ${rollback.deploymentId}${note}.`
          : `Its rollback, deployment ${rollback.deploymentId}, is ${rollback.status}${note}.`;
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} from version ${fromVersion} to ${r.targetVersion}`,
    `did not complete: CodeDeploy deployment ${info.deploymentId} ended ${info.status}: ${why}.`,
    rolledBack,
    whereTrafficIs(r, fromVersion, alias),
    `Pulumi keeps the state it had before this update, so the next \`pulumi up\` deploys version`,
    `${r.targetVersion} again; to serve an earlier model instead, pin it:`,
    `\`pulumi config set model.version <version>\` (${RUNBOOK}).`,
  ].join(" ");
}

/** "serves version 4 and sends 25% on version 3": what the alias does with the traffic. */
function aliasTraffic(alias: AliasState): string {
  const shares = Object.entries(alias.weights).map(
    ([version, share]) => `${Math.round(share * 1000) / 10}% on version ${version}`,
  );
  const sends = shares.length > 0 ? ` and sends ${shares.join(", ")}` : "";
  return `serves version ${alias.version}${sends}`;
}

/** Whether the alias sends all traffic to `version`, and nothing elsewhere. */
export const servesOnly = (alias: AliasState, version: string) =>
  alias.version === version && Object.keys(alias.weights).length === 0;

function whereTrafficIs(r: Rollout, fromVersion: string, alias: AliasState | Error): string {
  if (alias instanceof Error) return `Where the alias stands is unknown (${alias.message}).`;
  if (servesOnly(alias, fromVersion)) {
    return `Traffic is back on the old version: alias ${r.aliasName} serves version ${fromVersion}.`;
  }
  return (
    `Traffic is not back on version ${fromVersion} alone: alias ${r.aliasName} ` +
    `${aliasTraffic(alias)}; look at the deployment in the CodeDeploy console.`
  );
}

/** The command that puts all of the alias's traffic on one version, its routing cleared. */
const onOneVersion = (r: Rollout, version: string) =>
  `\`aws lambda update-alias --function-name ${r.functionName} --name ${r.aliasName} --function-version ${version} --routing-config '{"AdditionalVersionWeights":{}}' --region ${r.region}\``;

/** The alias is on the target but shares traffic with another version: not a finished rollout. */
export function splitAliasMessage(r: Rollout, alias: AliasState): string {
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} to version ${r.targetVersion} cannot start:`,
    `alias ${r.aliasName} ${aliasTraffic(alias)}, split by hand or by a deployment that did not`,
    "finish, and CodeDeploy deploys only from an alias on one version. Put it on one version:",
    `${onOneVersion(r, r.targetVersion)} (or the version it should serve), then run \`pulumi up\``,
    `again (${RUNBOOK}).`,
  ].join(" ");
}

/** A deployment that reports Succeeded while the alias does not serve the target alone. */
export function notServingMessage(r: Rollout, deploymentId: string, alias: AliasState): string {
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} to version ${r.targetVersion} did not end`,
    `on it: CodeDeploy deployment ${deploymentId} reports Succeeded, but alias ${r.aliasName}`,
    `${aliasTraffic(alias)}. Look at the deployment in the CodeDeploy console and at the alias`,
    `(\`aws lambda get-alias --function-name ${r.functionName} --name ${r.aliasName} --region`,
    `${r.region}\`); to put all traffic on the target: ${onOneVersion(r, r.targetVersion)} (${RUNBOOK}).`,
  ].join(" ");
}

export function timeoutMessage(r: Rollout, p: Progress): string {
  const traffic =
    p.weight === undefined ? "" : `, ${p.weight}% of traffic on version ${r.targetVersion}`;
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} to version ${r.targetVersion} did not finish`,
    `within ${r.timeoutSeconds} s: CodeDeploy deployment ${p.deploymentId} is still running in AWS`,
    `(${p.info.status}${traffic}). It is left running, guarded by the deployment group's alarms,`,
    "which roll it back by themselves. The next `pulumi up` waits for it; to stop it now and put",
    `all traffic back on version ${p.fromVersion}: \`aws deploy stop-deployment --deployment-id`,
    `${p.deploymentId} --auto-rollback-enabled --region ${r.region}\` (${RUNBOOK}).`,
  ].join(" ");
}

export function lostTrackMessage(r: Rollout, deploymentId: string, err: Error): string {
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} to version ${r.targetVersion} lost track`,
    `of CodeDeploy deployment ${deploymentId}: ${err.message}. The deployment may still be running`,
    "in AWS; the next `pulumi up` waits for it (`aws deploy get-deployment --deployment-id",
    `${deploymentId} --region ${r.region}\` shows it; ${RUNBOOK}).`,
  ].join(" ");
}

export function otherDeploymentMessage(
  r: Rollout,
  info: DeploymentInfo,
  spec: AppSpecLambda | undefined,
): string {
  const id = info.deploymentId;
  const what = spec
    ? `moving ${spec.name}:${spec.alias} from version ${spec.currentVersion} to ${spec.targetVersion}`
    : "with a revision this program did not write";
  const triggeredBy = info.rollbackInfo?.rollbackTriggeringDeploymentId;
  return [
    `Lambda rollout of ${r.functionName}:${r.aliasName} to version ${r.targetVersion} cannot start:`,
    `deployment group ${r.deploymentGroupName} already has CodeDeploy deployment ${id}`,
    `(${info.status}) ${what}${triggeredBy ? `, the rollback of ${triggeredBy}` : ""}.`,
    "CodeDeploy runs one deployment per group at a time: wait for it to end (`aws deploy",
    `get-deployment --deployment-id ${id} --region ${r.region}\` shows it)`,
    // a rollback is not stopped: AWS documents no safe way to stop one, and a stopped rollback
    // can leave the alias split between the two versions
    triggeredBy
      ? "and let it finish: it is putting traffic back, and stopping it could leave the alias split; then run"
      : `or stop it (\`aws deploy stop-deployment --deployment-id ${id} --auto-rollback-enabled --region ${r.region}\`), then run`,
    `\`pulumi up\` again (${RUNBOOK}).`,
  ].join(" ");
}
