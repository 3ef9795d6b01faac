/**
 * The stack's configuration (namespace `iris-mlops`), validated before anything is created so a
 * typo or an out-of-range value stops `pulumi preview` with the key's name and the rule it breaks.
 * Every key is optional; docs/deploy.md lists them with their defaults.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type ApiAuth, issuerProblem } from "../components/api-auth.js";
import {
  DEFAULT_ROLLOUT,
  deploymentConfigName,
  MAX_SHIFT_MINUTES,
  ROLLOUT_TYPES,
  rolloutProblem,
} from "../components/lambda-rollout.js";
import {
  ENDPOINT_ROLLOUT_TYPES,
  endpointRolloutProblem,
  rolloutCapacity,
  rolloutDurationProblem,
} from "../components/sagemaker-rollout.js";
import {
  LOG_RETENTION_DAYS,
  NAME_RULES,
  type NameRule,
  nameProblem,
} from "../components/validate.js";
import { isModelVersion } from "../core/registry.js";
import {
  checkTrainOptions,
  DEFAULT_TRAIN_OPTIONS,
  type TrainOptions,
} from "../training/options.js";
import { captureSchema, DEFAULT_CAPTURE } from "./capture-config.js";
import { monitorSchema } from "./monitor-config.js";

export const NAMESPACE = "iris-mlops";

// `pulumi config set --path` may store scalars as strings: read numerals and true/false as well
const toNumber = (v: unknown) =>
  typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
const toBoolean = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);
const num = <T extends z.ZodType>(schema: T) => z.preprocess(toNumber, schema);
const bool = () => z.preprocess(toBoolean, z.boolean());
const int = (min: number, max: number) => num(z.number().int().min(min).max(max));
const retention = num(
  z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
  }),
);

/** A pinned version must reach the program as it was typed: a number has lost its digits. */
const modelVersion = z.unknown().superRefine((v, ctx) => {
  if (typeof v === "string" && isModelVersion(v)) return;
  ctx.addIssue({
    code: "custom",
    message:
      typeof v === "number"
        ? `must be a model version string, but Pulumi stored it as the number ${v} (--path reads digits as a number): set it with \`pulumi config set ${NAMESPACE}:model.version <version>\`, without --path`
        : `must be a model version, 16 hex digits (iris-mlops models list shows them), got ${JSON.stringify(v)}`,
  });
}) as z.ZodType<string>;

const modelSchema = z
  .object({
    version: modelVersion,
    trees: int(1, 5000),
    maxFeatures: num(z.number().positive()),
    replacement: bool(),
    bagging: bool(),
    seed: int(0, 2 ** 31 - 1),
    maxDepth: int(1, 1000),
    minSamples: int(1, 1000),
    gainThreshold: num(z.number().min(0).lt(1)),
    testFraction: num(z.number().gt(0).lt(1)),
    folds: int(2, 20),
  })
  .partial()
  .strict();

const bucketSchema = z
  .object({
    forceDestroy: bool().default(false),
    noncurrentVersionDays: int(1, 3650).default(30),
    kmsKeyArn: z.string().startsWith("arn:").optional(),
  })
  .strict();

/** How a new Lambda version reaches traffic (components/lambda-rollout.ts). */
const rolloutSchema = z
  .object({
    type: z.enum(ROLLOUT_TYPES).default(DEFAULT_ROLLOUT.type),
    percentage: int(1, 99).default(DEFAULT_ROLLOUT.percentage),
    intervalMinutes: int(1, MAX_SHIFT_MINUTES).default(DEFAULT_ROLLOUT.intervalMinutes),
  })
  .strict()
  .superRefine((rollout, ctx) => {
    const problem = rolloutProblem(rollout);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["intervalMinutes"] });
  });

/**
 * `api.auth`: `none` or `iam` (a string, or `{ mode }`), or `{ mode: jwt, issuer, audience }` with
 * one audience or a list; the component's ApiAuth either way.
 */
const authSchema = z
  .preprocess(
    (v) => (typeof v === "string" ? { mode: v } : v),
    z.discriminatedUnion(
      "mode",
      [
        z.object({ mode: z.literal("none") }).strict(),
        z.object({ mode: z.literal("iam") }).strict(),
        z
          .object({
            mode: z.literal("jwt"),
            issuer: z
              .string({ error: "is required for jwt: the token issuer's https URL" })
              .superRefine((issuer, ctx) => {
                const problem = issuerProblem(issuer);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
              }),
            audience: z.union(
              [
                z.string().trim().min(1),
                z.array(z.string().trim().min(1)).min(1, "must list at least one audience"),
              ],
              {
                error:
                  "is required for jwt: an audience (e.g. the app client id) or a list of them",
              },
            ),
          })
          .strict(),
      ],
      { error: () => 'must be "none", "iam" or "jwt" (jwt with issuer and audience)' },
    ),
  )
  .transform(
    (a): ApiAuth =>
      a.mode === "jwt"
        ? {
            mode: "jwt",
            issuer: a.issuer,
            audience: typeof a.audience === "string" ? [a.audience] : a.audience,
          }
        : a.mode,
  );

const apiSchema = z
  .object({
    handlerEntry: z.string().min(1).optional(),
    memoryMb: int(128, 10240).default(512),
    timeoutSeconds: int(1, 900).default(10),
    architecture: z.enum(["arm64", "x86_64"]).default("arm64"),
    throttleBurst: int(0, 5000).default(100),
    throttleRate: int(0, 10000).default(50),
    corsOrigins: z.array(z.string().url()).default([]),
    auth: authSchema.default("none"),
    reservedConcurrency: int(0, 100000).optional(),
    rollout: rolloutSchema.default(rolloutSchema.parse({})),
  })
  .strict();

const imageSchema = z
  .object({
    context: z.string().min(1).optional(),
    dockerfile: z.string().min(1).optional(),
    baseImage: z.string().min(1).optional(),
    tag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a valid image tag")
      .optional(),
    keepImages: int(1, 1000).default(20),
    forceDelete: bool().default(false),
  })
  .strict();

/** `sagemaker.rollout`: how a new model or image reaches the endpoint's traffic (components/sagemaker-rollout.ts). */
const sagemakerRolloutSchema = z
  .object({
    type: z.enum(ENDPOINT_ROLLOUT_TYPES).default("all-at-once"),
    instances: int(1, 100).default(1),
    intervalMinutes: int(0, 60).default(10),
    terminationWaitMinutes: int(0, 60).default(0),
  })
  .strict();

/** `sagemaker.batch`: the prefixes Batch Transform jobs on the model read and write (docs/batch.md). */
const batchSchema = z
  .object({
    input: z.string().startsWith("s3://"),
    output: z.string().startsWith("s3://"),
    kmsKeyArn: z.string().startsWith("arn:").optional(),
  })
  .strict();

const sagemakerSchema = z
  .object({
    enabled: bool().default(false),
    batch: batchSchema.optional(),
    mode: z.enum(["serverless", "instances"]).default("serverless"),
    memoryMb: num(
      z.number().refine((m) => [1024, 2048, 3072, 4096, 5120, 6144].includes(m), {
        message: "must be 1024 to 6144 in steps of 1024",
      }),
    ).default(2048),
    maxConcurrency: int(1, 200).default(5),
    instanceType: z
      .string()
      .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, "must look like ml.m5.large")
      .default("ml.m5.large"),
    instanceCount: int(1, 100).default(1),
    minInstances: int(1, 100).default(1),
    maxInstances: int(1, 100).default(2),
    targetInvocations: num(z.number().positive()).default(100),
    autoscaling: bool().default(true),
    rollout: sagemakerRolloutSchema.default(sagemakerRolloutSchema.parse({})),
  })
  .strict()
  .refine((s) => s.minInstances <= s.maxInstances, {
    message: "minInstances must not exceed maxInstances",
    path: ["minInstances"],
  })
  .superRefine((s, ctx) => {
    // no endpoint, no rollout of one to check
    if (!s.enabled) return;
    const key = (name: string) => `${NAMESPACE}:sagemaker.${name}`;
    const capacity = rolloutCapacity(
      {
        serverless: s.mode === "serverless",
        autoscaling: s.autoscaling,
        initialInstanceCount: s.instanceCount,
        minInstanceCount: s.minInstances,
        maxInstanceCount: s.maxInstances,
      },
      { initial: key("instanceCount"), min: key("minInstances"), max: key("maxInstances") },
    );
    if (!capacity) return;
    const problem = endpointRolloutProblem(s.rollout, capacity);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["rollout", "type"] });
    const tooLong = !problem && rolloutDurationProblem(s.rollout, capacity, key("rollout"));
    if (tooLong) {
      ctx.addIssue({ code: "custom", message: tooLong, path: ["rollout", "intervalMinutes"] });
    }
  });

const alertsSchema = z
  .object({
    enabled: bool().default(true),
    email: z.string().email().optional(),
  })
  .strict();

const stackSchema = z
  .object({
    model: modelSchema.default({}),
    modelPath: z.string().min(1).optional(),
    bucket: bucketSchema.default({ forceDestroy: false, noncurrentVersionDays: 30 }),
    api: apiSchema.default(apiSchema.parse({})),
    image: imageSchema.default(imageSchema.parse({})),
    sagemaker: sagemakerSchema.default(sagemakerSchema.parse({})),
    logRetentionDays: retention.default(14),
    alerts: alertsSchema.default({ enabled: true }),
    capture: captureSchema.default(DEFAULT_CAPTURE),
    monitor: monitorSchema.default(monitorSchema.parse({})),
    permissionsBoundaryArn: z.string().startsWith("arn:").optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    // a gradual rollout rolls back on its door's alarms; without them nothing would
    const gradual = [
      { path: ["api", "rollout", "type"], type: s.api.rollout.type, alarms: "the API's" },
      ...(s.sagemaker.enabled
        ? [
            {
              path: ["sagemaker", "rollout", "type"],
              type: s.sagemaker.rollout.type,
              alarms: "the endpoint's",
            },
          ]
        : []),
    ];
    for (const { path, type, alarms } of gradual) {
      if (s.alerts.enabled || type === "all-at-once") continue;
      ctx.addIssue({
        code: "custom",
        path,
        message: `a ${type} rollout rolls back on ${alarms} alarms, which ${NAMESPACE}:alerts.enabled false turns off: set it to all-at-once, or turn the alerts back on`,
      });
    }
  });

export type StackConfig = Omit<z.infer<typeof stackSchema>, "model"> & {
  /** The training run's hyper-parameters: the defaults with the configured ones on top. */
  readonly model: TrainOptions;
  /** `model.version`: serve this version from the bucket's registry, with no training. */
  readonly modelVersion?: string;
};

export const CONFIG_KEYS = Object.keys(stackSchema.shape);

/**
 * The one dotted key read as a path without `--path`: `pulumi config set iris-mlops:model.version
 * <v>` stores the version as a string, where `--path` would turn an all-digit version into a
 * number (and drop its leading zeros).
 */
export const MODEL_VERSION_KEY = "model.version";

export class ConfigError extends pulumi.RunError {
  override readonly name = "ConfigError";
}

/** A config value as Pulumi hands it over: structured values arrive as JSON, scalars as strings. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Parse and check the stack's configuration from a key→raw-value map (the `iris-mlops:` keys). */
export function parseStackConfig(raw: Readonly<Record<string, string>>): StackConfig {
  const prefix = `${NAMESPACE}:`;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (name === MODEL_VERSION_KEY) continue;
    if (!CONFIG_KEYS.includes(name)) {
      throw new ConfigError(
        `unknown config key ${key}; known keys: ${[...CONFIG_KEYS, MODEL_VERSION_KEY].map((k) => prefix + k).join(", ")}`,
      );
    }
    values[name] = parseValue(value);
  }
  const pinned = raw[prefix + MODEL_VERSION_KEY];
  if (pinned !== undefined) {
    const model = values.model ?? {};
    // a model that is not an object is the schema's to refuse
    if (typeof model === "object" && model !== null) {
      if ("version" in model) {
        throw new ConfigError(
          `${prefix}${MODEL_VERSION_KEY} is set twice, as a key of its own and inside ${prefix}model: keep one`,
        );
      }
      values.model = { ...model, version: pinned };
    }
  }
  const parsed = stackSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String);
      const where = path.length
        ? `${prefix}${path[0]}${path
            .slice(1)
            .map((p) => `.${p}`)
            .join("")}`
        : NAMESPACE;
      return `${where}: ${issue.message}`;
    });
    throw new ConfigError(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
  }
  const { version, ...options } = parsed.data.model;
  if (version !== undefined && parsed.data.modelPath !== undefined) {
    throw new ConfigError(
      `${prefix}modelPath and ${prefix}${MODEL_VERSION_KEY} both name the model to serve: keep one`,
    );
  }
  let model: TrainOptions;
  try {
    model = checkTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, ...options });
  } catch (error) {
    throw new ConfigError(`${prefix}model: ${(error as Error).message}`);
  }
  return { ...parsed.data, model, ...(version === undefined ? {} : { modelVersion: version }) };
}

/** A name Pulumi auto-names with Pulumi.yaml's pattern `${project}-${stack}-${name}-${hex(7)}`. */
const autoName = (project: string, stack: string, name: string) =>
  `${project}-${stack}-${name}-${"0".repeat(7)}`;
/** What the provider appends to a `namePrefix` or `bucketPrefix` (a timestamp and a counter). */
const PREFIX_SUFFIX = "0".repeat(26);

export interface DerivedName {
  readonly rule: NameRule;
  readonly name: string;
  /** The config key that makes the program create this resource, when one does. */
  readonly key?: string;
}

/**
 * The longest name of each kind that the program derives from the project and the stack names,
 * for this configuration (the logical names of stacks/program.ts and its components' children;
 * tests/infra/names.test.ts checks this list against what the program registers).
 */
export function derivedNames(project: string, stack: string, config: StackConfig): DerivedName[] {
  const auto = (name: string) => autoName(project, stack, name);
  const names: DerivedName[] = [
    { rule: NAME_RULES.bucketPrefix, name: `${project}-${stack}-models-` },
    { rule: NAME_RULES.iamRole, name: auto("api-rollout-role") },
    { rule: NAME_RULES.iamRolePolicy, name: auto("api-rollout-policy") },
    { rule: NAME_RULES.lambdaFunction, name: auto("api-function") },
    { rule: NAME_RULES.logGroup, name: `/aws/apigateway/${project}-${stack}-api-${PREFIX_SUFFIX}` },
    { rule: NAME_RULES.httpApi, name: auto("api-api") },
    { rule: NAME_RULES.alarm, name: auto("api-canary-duration-alarm") },
    { rule: NAME_RULES.dashboard, name: `${project}-${stack}` },
    { rule: NAME_RULES.codedeployApplication, name: auto("api-codedeploy") },
  ];
  const configName = deploymentConfigName(project, stack, "api", config.api.rollout);
  if (configName !== undefined) {
    names.push({ rule: NAME_RULES.codedeployConfig, name: configName, key: "api.rollout.type" });
  }
  if (config.alerts.enabled && config.alerts.email) {
    names.push({ rule: NAME_RULES.snsTopic, name: auto("alerts"), key: "alerts.email" });
  }
  if (config.capture.sample > 0) {
    const key = "capture.sample";
    names.push(
      { rule: NAME_RULES.bucketPrefix, name: `${project}-${stack}-capture-`, key },
      { rule: NAME_RULES.firehoseStream, name: auto("capture-serverless"), key },
      { rule: NAME_RULES.iamRole, name: auto("capture-firehose-role"), key },
      { rule: NAME_RULES.iamRolePolicy, name: auto("capture-firehose-policy"), key },
    );
  }
  if (config.capture.sample > 0 && config.monitor.enabled) {
    const key = "monitor.enabled";
    names.push(
      { rule: NAME_RULES.iamRole, name: auto("monitor-scheduler-role"), key },
      { rule: NAME_RULES.iamRolePolicy, name: auto("monitor-scheduler-policy"), key },
      { rule: NAME_RULES.lambdaFunction, name: auto("monitor-function"), key },
      { rule: NAME_RULES.alarm, name: auto("monitor-not-iris-alarm"), key },
    );
  }
  if (config.sagemaker.enabled) {
    const key = "sagemaker.enabled";
    const endpoint = `${project}-${stack}-sagemaker`;
    names.push(
      { rule: NAME_RULES.sagemakerModel, name: auto("sagemaker-model"), key },
      { rule: NAME_RULES.sagemakerEndpointConfig, name: auto("sagemaker-config"), key },
      { rule: NAME_RULES.sagemakerEndpoint, name: endpoint, key },
      { rule: NAME_RULES.logGroup, name: `/aws/sagemaker/Endpoints/${endpoint}`, key },
      { rule: NAME_RULES.iamRole, name: auto("sagemaker-role"), key },
      { rule: NAME_RULES.iamRolePolicy, name: auto("sagemaker-policy"), key },
      { rule: NAME_RULES.alarm, name: auto("sagemaker-latency-alarm"), key },
      { rule: NAME_RULES.ecrRepository, name: auto("image-repo"), key },
    );
    if (config.sagemaker.mode === "instances") {
      names.push({
        rule: NAME_RULES.scalingPolicy,
        name: auto("sagemaker-scaling-policy"),
        key: "sagemaker.mode",
      });
    }
  }
  return names;
}

const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Fail before anything is created when the stack name would make a resource name AWS refuses:
 * the names are derived from it (Pulumi.yaml's autonaming pattern), and a provider would only
 * say so halfway through `pulumi up`. Truncating instead would let two stacks collide and break
 * the deploy roles' `<project>-<stack>-*` scoping.
 */
export function checkStackNames(project: string, stack: string, config: StackConfig): void {
  if (!STACK_NAME.test(stack)) {
    throw new ConfigError(
      `stack name ${stack}: use lower-case letters, digits and - only (S3 bucket and ECR repository names are lower case, and the deploy roles are scoped to ${project}-<stack>-*)`,
    );
  }
  const names = derivedNames(project, stack, config);
  const longest = Math.min(...names.map((n) => n.rule.max - (n.name.length - stack.length)));
  const problems = names.flatMap(({ rule, name, key }) => {
    const problem = nameProblem(rule, name);
    return problem
      ? [`the ${problem}${key ? ` (created because of ${NAMESPACE}:${key})` : ""}`]
      : [];
  });
  if (problems.length > 0) {
    throw new ConfigError(
      `stack name ${stack} (${stack.length} characters): with this configuration use a stack name of at most ${Math.max(longest, 0)} characters; the names derived from it (Pulumi.yaml's autonaming pattern) break AWS's limits:\n  ${problems.join("\n  ")}`,
    );
  }
}

/**
 * The SageMaker endpoint is an aws-native resource and everything else @pulumi/aws: both
 * providers must deploy to one region, or the endpoint would look for its configuration elsewhere.
 */
export function checkRegions(raw: Readonly<Record<string, string>>): void {
  const aws = raw["aws:region"];
  const native = raw["aws-native:region"];
  if (aws !== undefined && native !== undefined && aws !== native) {
    throw new ConfigError(
      `aws-native:region (${native}) must equal aws:region (${aws}): the SageMaker endpoint (aws-native) and its configuration (aws) live in one region`,
    );
  }
}

/** The running stack's configuration, with the names it gives the stack's resources checked. */
export function loadStackConfig(): StackConfig {
  const raw = pulumi.runtime.allConfig();
  checkRegions(raw);
  const config = parseStackConfig(raw);
  checkStackNames(pulumi.getProject(), pulumi.getStack(), config);
  return config;
}
