/**
 * How a SageMaker endpoint takes a new configuration: SageMaker's blue/green deployment
 * (`DeploymentConfig` of UpdateEndpoint) with a bake period and rollback on the endpoint's
 * alarms, in one of its three traffic-shifting modes, refused before anything changes when the
 * mode cannot work on the endpoint's capacity.
 *
 * SageMaker shifts traffic by instances of the variant, not by request share: a canary is at most
 * half the variant's instances and each linear step 10-50% of them (API TrafficRoutingConfig:
 * "CanarySize ... must be less than or equal to 50% of the variant's total instance count",
 * "LinearStepSize ... must be 10-50%"). So canary and linear need at least 2 instances. A
 * serverless variant has no instances to count: it rolls out ALL_AT_ONCE, with the bake and the
 * alarm rollback. AWS's deployment-guardrails exclusions page excludes serverless endpoints from
 * rolling deployments (and multi-variant ones), not from blue/green; it says nothing of canary or
 * linear on serverless, whose sizes are counted in instances, so this project does not offer them.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html
 */
import type * as pulumi from "@pulumi/pulumi";
import { ArgumentError, checkInteger, checkOneOf } from "./validate.js";

export const ENDPOINT_ROLLOUT_TYPES = ["all-at-once", "canary", "linear"] as const;
export type EndpointRolloutType = (typeof ENDPOINT_ROLLOUT_TYPES)[number];

export interface SageMakerRollout {
  /** ALL_AT_ONCE, CANARY or LINEAR traffic shifting. Default "all-at-once". */
  readonly type?: EndpointRolloutType;
  /** Canary: instances in the canary. Linear: instances per step. Default 1. */
  readonly instances?: number;
  /** Minutes each step bakes under the alarms before the next (WaitIntervalInSeconds), 0 to 60. Default 10. */
  readonly intervalMinutes?: number;
  /** Minutes the old fleet is kept after the last step (TerminationWaitInSeconds), 0 to 60. Default 0. */
  readonly terminationWaitMinutes?: number;
}

export const DEFAULT_ENDPOINT_ROLLOUT = {
  type: "all-at-once",
  instances: 1,
  intervalMinutes: 10,
  terminationWaitMinutes: 0,
} as const satisfies Required<SageMakerRollout>;

/**
 * The instance counts the variant can have when a rollout starts, and the setting that fixes
 * each (for messages): with autoscaling, minInstances to maxInstances; without, the count it was
 * created with, which every rollout keeps (RetainAllVariantProperties).
 */
export interface RolloutCapacity {
  readonly serverless: boolean;
  readonly fewest: number;
  readonly most: number;
  /** What sets `fewest` and `most`, e.g. "minInstanceCount" and "maxInstanceCount". */
  readonly fewestSetting: string;
  readonly mostSetting: string;
}

/** The settings of an endpoint that fix its capacity (SageMakerEndpointArgs' names). */
export interface CapacitySettings {
  readonly serverless: boolean;
  readonly autoscaling: boolean;
  readonly initialInstanceCount?: pulumi.Input<number>;
  readonly minInstanceCount?: pulumi.Input<number>;
  readonly maxInstanceCount?: pulumi.Input<number>;
}

/** What each count is called where it is set: component arguments, or stack config keys. */
export interface CapacityNames {
  readonly initial: string;
  readonly min: string;
  readonly max: string;
}

const ARGUMENT_NAMES: CapacityNames = {
  initial: "initialInstanceCount",
  min: "minInstanceCount",
  max: "maxInstanceCount",
};

/** The instance counts a rollout can start from, when the program knows them (plain numbers). */
export function rolloutCapacity(
  s: CapacitySettings,
  names: CapacityNames = ARGUMENT_NAMES,
): RolloutCapacity | undefined {
  if (s.serverless) {
    return { serverless: true, fewest: 0, most: 0, fewestSetting: "", mostSetting: "" };
  }
  const initial = s.initialInstanceCount ?? 1;
  const [fewest, most, fewestSetting, mostSetting] = s.autoscaling
    ? [s.minInstanceCount ?? 1, s.maxInstanceCount ?? 2, names.min, names.max]
    : [initial, initial, names.initial, names.initial];
  if (typeof fewest !== "number" || typeof most !== "number") return undefined;
  return { serverless: false, fewest, most, fewestSetting, mostSetting };
}

/**
 * Refuse, before anything is created, a rollout SageMaker would refuse at the next update, and a
 * canary or linear one that nothing would roll back (`guarded` false: no alarms).
 */
export function checkEndpointRollout(
  component: string,
  rollout: Required<SageMakerRollout>,
  capacity: RolloutCapacity | undefined,
  guarded: boolean,
): void {
  checkOneOf(component, "rollout.type", rollout.type, ENDPOINT_ROLLOUT_TYPES);
  checkInteger(component, "rollout.instances", rollout.instances, 1, 100);
  checkInteger(component, "rollout.intervalMinutes", rollout.intervalMinutes, 0, 60);
  checkInteger(component, "rollout.terminationWaitMinutes", rollout.terminationWaitMinutes, 0, 60);
  const problem =
    capacity &&
    (endpointRolloutProblem(rollout, capacity) ??
      rolloutDurationProblem(rollout, capacity, "rollout"));
  if (problem) throw new ArgumentError(`${component}: rollout: ${problem}`);
  if (rollout.type !== "all-at-once" && !guarded) {
    throw new ArgumentError(
      `${component}: rollout: a ${rollout.type} rollout rolls back on the endpoint's alarms, and with alarms false there are none: keep alarms on or use rollout.type all-at-once`,
    );
  }
}

const plural = (n: number) => `${n} instance${n === 1 ? "" : "s"}`;

/** Why SageMaker would refuse this rollout on this capacity, or undefined when it can run. */
export function endpointRolloutProblem(
  rollout: SageMakerRollout,
  capacity: RolloutCapacity,
): string | undefined {
  const type = rollout.type ?? DEFAULT_ENDPOINT_ROLLOUT.type;
  const k = rollout.instances ?? DEFAULT_ENDPOINT_ROLLOUT.instances;
  if (type === "all-at-once") return undefined;
  if (capacity.serverless) {
    return `a ${type} rollout needs instances: SageMaker shifts traffic by instances and a serverless endpoint has none; use all-at-once (the bake and the alarm rollback still apply)`;
  }
  const half = Math.floor(capacity.fewest / 2);
  if (k > half) {
    const what = type === "canary" ? "a canary" : "a linear step";
    return `${what} of ${plural(k)} needs at least ${plural(2 * k)} (SageMaker shifts at most half of the variant's instances at a time), but the variant can have as few as ${plural(capacity.fewest)} (${capacity.fewestSetting}); raise ${capacity.fewestSetting} to ${2 * k} or use all-at-once`;
  }
  if (type === "linear" && 10 * k < capacity.most) {
    return `a linear step of ${plural(k)} is under 10% of the ${plural(capacity.most)} the variant can reach (${capacity.mostSetting}), and SageMaker takes steps of 10-50%: use instances of at least ${Math.ceil(capacity.most / 10)}`;
  }
  return undefined;
}

/** Time SageMaker may take to provision the new fleet before the first step (not in its API). */
const PROVISIONING_SECONDS = 1800;
/** BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds' range (API reference). */
const TIMEOUT_RANGE = [600, 28800] as const;

/** Steps that bake: one for all-at-once, the canary and the rest, or each linear step at the largest count. */
function bakes(type: EndpointRolloutType, instances: number, most: number): number {
  if (type === "all-at-once") return 1;
  if (type === "canary") return 2;
  return Math.ceil(most / instances);
}

/** Provisioning, every bake and the termination wait, in seconds. */
function rolloutSeconds(rollout: SageMakerRollout, most: number): number {
  const r = { ...DEFAULT_ENDPOINT_ROLLOUT, ...rollout };
  return (
    PROVISIONING_SECONDS +
    bakes(r.type, r.instances, most) * r.intervalMinutes * 60 +
    r.terminationWaitMinutes * 60
  );
}

/**
 * Why the rollout cannot fit SageMaker's longest deployment, or undefined when it does. The
 * timeout must exceed the waits (BlueGreenUpdatePolicy) and SageMaker rolls back a deployment
 * that outlasts it, so a longer rollout could never finish. Only linear rollouts can be that long
 * (up to 10 bakes); `key` prefixes the rollout's settings in messages.
 */
export function rolloutDurationProblem(
  rollout: SageMakerRollout,
  capacity: RolloutCapacity,
  key: string,
): string | undefined {
  const r = { ...DEFAULT_ENDPOINT_ROLLOUT, ...rollout };
  const most = capacity.serverless ? 1 : capacity.most;
  const seconds = rolloutSeconds(r, most);
  const cap = TIMEOUT_RANGE[1];
  if (seconds <= cap) return undefined;
  const steps = bakes(r.type, r.instances, most);
  const budget = cap - PROVISIONING_SECONDS - r.terminationWaitMinutes * 60;
  const ways = [`lower ${key}.intervalMinutes to at most ${Math.floor(budget / (steps * 60))}`];
  if (r.type === "linear") {
    const step = Math.ceil(most / Math.floor(budget / (r.intervalMinutes * 60)));
    const needs =
      2 * step > capacity.fewest
        ? ` (a step of ${step} needs ${capacity.fewestSetting} of at least ${2 * step})`
        : "";
    ways.push(`raise ${key}.instances to ${step}${needs}`);
  }
  if (r.terminationWaitMinutes > 0) ways.push(`lower ${key}.terminationWaitMinutes`);
  return `the rollout would take ${seconds} s (${PROVISIONING_SECONDS} s to provision the new fleet, ${steps} bake${steps === 1 ? "" : "s"} of ${r.intervalMinutes} minutes, ${r.terminationWaitMinutes} minutes of termination wait), over the ${cap} s SageMaker allows a blue/green deployment (MaximumExecutionTimeoutInSeconds, which must exceed the waits): ${ways.join(", or ")}`;
}

/**
 * The longest the whole blue/green deployment may take (MaximumExecutionTimeoutInSeconds, which
 * must exceed the waits): provisioning, every bake and the termination wait. SageMaker rolls
 * back a deployment that runs longer. A rollout over the cap is refused by the checks; this
 * throws for one they could not see (instance counts given as Outputs).
 */
export function rolloutTimeoutSeconds(rollout: SageMakerRollout, most: number): number {
  const seconds = rolloutSeconds(rollout, most);
  if (seconds > TIMEOUT_RANGE[1]) {
    throw new ArgumentError(
      `rollout: ${seconds} s of provisioning and bakes exceed the ${TIMEOUT_RANGE[1]} s SageMaker allows a blue/green deployment (MaximumExecutionTimeoutInSeconds): lower rollout.intervalMinutes or take larger steps`,
    );
  }
  return Math.max(seconds, TIMEOUT_RANGE[0]);
}

const ROUTING = { "all-at-once": "ALL_AT_ONCE", canary: "CANARY", linear: "LINEAR" } as const;

/**
 * The endpoint's DeploymentConfig (aws-native's input shape): blue/green with the mode, its bake
 * and timeout, and rollback on `alarmNames` (omitted when there are none: SageMaker then bakes
 * with nothing to watch).
 */
export function deploymentConfigFor(
  rollout: SageMakerRollout,
  most: number,
  alarmNames: pulumi.Input<string>[],
) {
  const r = { ...DEFAULT_ENDPOINT_ROLLOUT, ...rollout };
  const size = { type: "INSTANCE_COUNT", value: r.instances };
  return {
    blueGreenUpdatePolicy: {
      trafficRoutingConfiguration: {
        type: ROUTING[r.type],
        waitIntervalInSeconds: r.intervalMinutes * 60,
        ...(r.type === "canary" ? { canarySize: size } : {}),
        ...(r.type === "linear" ? { linearStepSize: size } : {}),
      },
      terminationWaitInSeconds: r.terminationWaitMinutes * 60,
      maximumExecutionTimeoutInSeconds: rolloutTimeoutSeconds(r, most),
    },
    ...(alarmNames.length > 0
      ? { autoRollbackConfiguration: { alarms: alarmNames.map((alarmName) => ({ alarmName })) } }
      : {}),
  };
}
