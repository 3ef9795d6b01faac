/**
 * How a LambdaInferenceApi's new versions reach traffic: through AWS CodeDeploy, the engine
 * behind AWS SAM's traffic shifting. The function is published as numbered versions behind a
 * `live` alias; a CodeDeploy application and deployment group (blue/green with traffic control)
 * shift the alias from the version it serves to the newest one by the deployment configuration
 * (canary, linear or all at once), and roll it back when a deployment fails, is stopped, or, during
 * a canary or linear bake, one of the guarding alarms fires. CodeDeploy's service role may read
 * and move exactly that alias and read exactly those alarms. The deployment itself is the
 * LambdaDeployment resource (components/lambda-deployment.ts), keyed on the target version.
 *
 * After its creation the alias belongs to CodeDeploy: Pulumi ignores its version and routing, so
 * a later `pulumi up` never undoes a rollout or a rollback.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaDeployment } from "./lambda-deployment.js";
import { serviceRole } from "./service-role.js";
import { ArgumentError, checkInteger, checkOneOf } from "./validate.js";

export const ROLLOUT_TYPES = ["canary", "linear", "all-at-once"] as const;
export type RolloutType = (typeof ROLLOUT_TYPES)[number];

export interface Rollout {
  readonly type: RolloutType;
  /** Share of the traffic the new version gets first (canary) or at each step (linear), 1–99. */
  readonly percentage: number;
  /** Minutes between traffic shifts: the bake. */
  readonly intervalMinutes: number;
}

export const DEFAULT_ROLLOUT: Rollout = { type: "canary", percentage: 10, intervalMinutes: 10 };

/** The alias API Gateway invokes and CodeDeploy moves. */
export const ALIAS_NAME = "live";

/** CodeDeploy's own configuration for shifting everything at once. */
export const ALL_AT_ONCE_CONFIG = "CodeDeployDefault.LambdaAllAtOnce";

/** CodeDeploy's limit for a Lambda deployment: 48 hours between the first and last shift. */
export const MAX_SHIFT_MINUTES = 48 * 60;

/** Time allowed beyond the last shift: CodeDeploy starting, polling the alarms, finishing. */
const MARGIN_MINUTES = 10;

/**
 * Minutes from the first traffic shift to the last: the canary's one interval, or one interval
 * per linear step after the first (10% steps: 9 intervals), none all at once.
 */
export function shiftMinutes(r: Rollout): number {
  if (r.type === "canary") return r.intervalMinutes;
  if (r.type === "linear") return (Math.ceil(100 / r.percentage) - 1) * r.intervalMinutes;
  return 0;
}

/** Why CodeDeploy would refuse or never finish this rollout, or undefined when it is fine. */
export function rolloutProblem(r: Rollout): string | undefined {
  const minutes = shiftMinutes(r);
  if (minutes > MAX_SHIFT_MINUTES) {
    return `a ${r.type} rollout of ${r.percentage}% every ${r.intervalMinutes} minutes shifts traffic for ${minutes} minutes, over CodeDeploy's limit of ${MAX_SHIFT_MINUTES} (48 hours): raise the percentage or shorten the interval`;
  }
  return undefined;
}

/** The rollout arguments of a component (flat in its args). */
export interface RolloutArgs {
  /**
   * How a new version (new code, a new model, any configuration change) reaches traffic, through
   * CodeDeploy: "canary" shifts `rolloutPercentage` of it for `rolloutIntervalMinutes`, then the
   * rest; "linear" shifts `rolloutPercentage` more every `rolloutIntervalMinutes`; both roll back
   * when a guarding alarm fires meanwhile. "all-at-once" shifts everything at once, unguarded.
   * Decides which resources exist, so it is a plain value. Default "canary".
   */
  readonly rolloutType?: RolloutType;
  /** Share of the traffic per shift, 1–99 (canary and linear). A plain value, like the interval: they name the deployment configuration. Default 10. */
  readonly rolloutPercentage?: number;
  /** Minutes between shifts, the bake (canary and linear); 48 hours of shifting at most. Default 10. */
  readonly rolloutIntervalMinutes?: number;
}

/**
 * The rollout arguments, checked like the others, with their defaults. A canary or linear
 * rollout rolls back on alarms: without any (`guarded` false) nothing would ever roll it back.
 */
export function checkRollout(component: string, args: RolloutArgs, guarded: boolean): Rollout {
  checkOneOf(component, "rolloutType", args.rolloutType, ROLLOUT_TYPES);
  checkInteger(component, "rolloutPercentage", args.rolloutPercentage, 1, 99);
  checkInteger(
    component,
    "rolloutIntervalMinutes",
    args.rolloutIntervalMinutes,
    1,
    MAX_SHIFT_MINUTES,
  );
  const rollout: Rollout = {
    type: args.rolloutType ?? DEFAULT_ROLLOUT.type,
    percentage: args.rolloutPercentage ?? DEFAULT_ROLLOUT.percentage,
    intervalMinutes: args.rolloutIntervalMinutes ?? DEFAULT_ROLLOUT.intervalMinutes,
  };
  const problem = rolloutProblem(rollout);
  if (problem) throw new ArgumentError(`${component}: ${problem}`);
  if (rollout.type !== "all-at-once" && !guarded) {
    throw new ArgumentError(
      `${component}: a ${rollout.type} rollout rolls back on alarms, and with alarms false and no rolloutAlarmNames there are none: keep alarms on, pass rolloutAlarmNames, or use rolloutType all-at-once`,
    );
  }
  return rollout;
}

/** Seconds `pulumi up` waits for a deployment before it gives up on it. */
export const deploymentTimeoutSeconds = (r: Rollout) => (shiftMinutes(r) + MARGIN_MINUTES) * 60;

/** A name CodeDeploy accepts (letters, digits and ._+=,@-). */
const codeDeployName = (name: string) => name.replace(/[^A-Za-z0-9._+=,@-]+/g, "-");

/**
 * The custom deployment configuration's name, undefined all at once (CodeDeploy's own is used).
 * Names are unique per account and region and a configuration cannot change: the name carries
 * the project, the stack, the component and the parameters, so a change creates the new
 * configuration (and moves the group to it) before the old one is deleted.
 */
export function deploymentConfigName(
  project: string,
  stack: string,
  component: string,
  r: Rollout,
): string | undefined {
  if (r.type === "all-at-once") return undefined;
  return codeDeployName(
    `${project}-${stack}-${component}-${r.type}-${r.percentage}pct-${r.intervalMinutes}min`,
  );
}

/**
 * The `live` alias, on the function's newest version when created; CodeDeploy's from then on.
 * Its only inputs are the ones it cannot do without: terraform-provider-aws's alias update
 * (resourceAliasUpdate) sends the version from Pulumi's state and the routing from the program,
 * so any update (a description, say) would move it back to the recorded version and clear a
 * canary's weights; name and functionName replace it rather than update it.
 */
export function createLiveAlias(
  name: string,
  fn: aws.lambda.Function,
  parent: pulumi.Resource,
): aws.lambda.Alias {
  return new aws.lambda.Alias(
    `${name}-live`,
    {
      name: ALIAS_NAME,
      functionName: fn.name,
      functionVersion: fn.version,
    },
    { parent, ignoreChanges: ["functionVersion", "routingConfig"] },
  );
}

export interface LambdaRolloutArgs {
  readonly rollout: Rollout;
  readonly fn: aws.lambda.Function;
  readonly alias: aws.lambda.Alias;
  /** Our own alarms that guard the bake: the deployment waits until they watch the new version. */
  readonly guardAlarms: readonly aws.cloudwatch.MetricAlarm[];
  /** More alarms, by name, that guard the bake. */
  readonly extraAlarmNames: readonly pulumi.Input<string>[];
  readonly permissionsBoundary?: pulumi.Input<string>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface LambdaRolloutResources {
  readonly application: aws.codedeploy.Application;
  readonly deploymentGroup: aws.codedeploy.DeploymentGroup;
  /** Undefined all at once. */
  readonly deploymentConfig?: aws.codedeploy.DeploymentConfig;
  readonly role: aws.iam.Role;
  readonly deployment: LambdaDeployment;
}

export function createLambdaRollout(
  name: string,
  args: LambdaRolloutArgs,
  parent: pulumi.Resource,
): LambdaRolloutResources {
  const opts = { parent };
  const { rollout, fn, alias } = args;
  const alarmNames = [...args.guardAlarms.map((a) => a.name), ...args.extraAlarmNames];
  // all at once there is no bake to guard: alarms would only refuse a deployment while one of
  // them is firing, which is when an urgent fix needs to go out
  const guarded = rollout.type !== "all-at-once" && alarmNames.length > 0;

  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  const partition = aws.getPartitionOutput({}, opts).partition;
  const alarmArns = alarmNames.map(
    (alarm) => pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarm}`,
  );
  const { role, policy } = serviceRole(
    `${name}-rollout`,
    {
      service: "codedeploy.amazonaws.com",
      // what AWSCodeDeployRoleForLambdaLimited allows that a deployment with no hooks, no
      // revision in S3 and no triggers uses, on this alias and these alarms only
      statements: pulumi
        .all([fn.arn, alias.arn, ...alarmArns])
        .apply(([fnArn, aliasArn, ...arns]) => [
          {
            // the catalogue files the alias actions under the function (the unqualified ARN);
            // the alias's own ARN too, in case Lambda authorises them on the qualified one
            Sid: "ShiftLiveAlias",
            Effect: "Allow",
            Action: ["lambda:GetAlias", "lambda:UpdateAlias"],
            Resource: [fnArn, aliasArn],
          },
          {
            // CodeDeploy waits for the target version's provisioned concurrency, if any
            Sid: "ReadProvisionedConcurrency",
            Effect: "Allow",
            Action: "lambda:GetProvisionedConcurrencyConfig",
            Resource: `${fnArn}:*`,
          },
          ...(guarded
            ? [
                {
                  Sid: "ReadGuardAlarms",
                  Effect: "Allow",
                  Action: "cloudwatch:DescribeAlarms",
                  Resource: arns,
                },
              ]
            : []),
        ]),
      permissionsBoundary: args.permissionsBoundary,
      tags: args.tags,
    },
    opts,
  );

  const application = new aws.codedeploy.Application(
    `${name}-codedeploy`,
    { computePlatform: "Lambda", tags: args.tags },
    opts,
  );
  const configName = deploymentConfigName(pulumi.getProject(), pulumi.getStack(), name, rollout);
  const deploymentConfig =
    configName === undefined
      ? undefined
      : new aws.codedeploy.DeploymentConfig(
          `${name}-rollout-config`,
          {
            deploymentConfigName: configName,
            computePlatform: "Lambda",
            trafficRoutingConfig:
              rollout.type === "canary"
                ? {
                    type: "TimeBasedCanary",
                    timeBasedCanary: {
                      percentage: rollout.percentage,
                      interval: rollout.intervalMinutes,
                    },
                  }
                : {
                    type: "TimeBasedLinear",
                    timeBasedLinear: {
                      percentage: rollout.percentage,
                      interval: rollout.intervalMinutes,
                    },
                  },
          },
          opts,
        );

  const deploymentGroup = new aws.codedeploy.DeploymentGroup(
    `${name}-rollout-group`,
    {
      appName: application.name,
      deploymentGroupName: `${name}-${ALIAS_NAME}`,
      serviceRoleArn: role.arn,
      deploymentConfigName: deploymentConfig?.deploymentConfigName ?? ALL_AT_ONCE_CONFIG,
      deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
      autoRollbackConfiguration: {
        enabled: true,
        // a stopped deployment (by an operator: `pulumi up` never stops one) must not
        // leave the alias split between two versions
        events: [
          "DEPLOYMENT_FAILURE",
          ...(guarded ? ["DEPLOYMENT_STOP_ON_ALARM"] : []),
          "DEPLOYMENT_STOP_ON_REQUEST",
        ],
      },
      ...(alarmNames.length > 0
        ? { alarmConfiguration: { enabled: guarded, alarms: alarmNames } }
        : {}),
      tags: args.tags,
    },
    // CodeDeploy checks at once that it may assume the role and act with it
    { parent, dependsOn: [policy] },
  );

  const deployment = new LambdaDeployment(
    `${name}-deployment`,
    {
      region,
      applicationName: application.name,
      deploymentGroupName: deploymentGroup.deploymentGroupName,
      functionName: fn.name,
      aliasName: alias.name,
      targetVersion: fn.version,
      timeoutSeconds: deploymentTimeoutSeconds(rollout),
    },
    // the guarding alarms watch the new version before any traffic moves to it
    { parent, dependsOn: [deploymentGroup, alias, ...args.guardAlarms] },
  );

  return { application, deploymentGroup, deploymentConfig, role, deployment };
}
