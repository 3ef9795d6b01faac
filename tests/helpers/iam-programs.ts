/**
 * The two Pulumi programs (the stack of Pulumi.<stack>.yaml, and bootstrap/) run under the infra
 * mocks with the names the real engine would give: the stack's autonaming pattern
 * `<project>-<stack>-<name>-<hex7>` (Pulumi.yaml), Pulumi's default `<name>-<hex7>` for the
 * bootstrap. What they register is what the IAM checks read: every policy document, and the
 * resources whose API calls tests/infra/iam-calls.ts lists.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { packageRoot } from "../../components/paths.js";
import { irisStack } from "../../stacks/program.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  PROJECT,
  REGION,
  Recorder,
  type Registered,
  settle,
  tempDir,
} from "../infra/harness.js";
import type { FoundDocument, PolicyDocument } from "./iam-policy.js";

/** Resource types whose physical name Pulumi generates into `name` when none is given. */
const AUTONAMED = new Set([
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:lambda/function:Function",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:sns/topic:Topic",
  "aws:sagemaker/model:Model",
  "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
  "aws:apigatewayv2/api:Api",
  "aws:appautoscaling/policy:Policy",
  "aws:ecr/repository:Repository",
  "aws:codedeploy/application:Application",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
]);

const hex7 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 7);

/** The mocks, naming auto-named resources as the engine would. */
class AutonamingRecorder extends Recorder {
  constructor(private readonly autoname: (name: string) => string) {
    super();
  }
  override newResource(args: pulumi.runtime.MockResourceArgs) {
    const named =
      AUTONAMED.has(args.type) && args.inputs.name === undefined
        ? { ...args, inputs: { ...args.inputs, name: this.autoname(args.name) } }
        : args;
    return super.newResource(named);
  }
}

export interface ProgramRun {
  readonly stack: string;
  readonly resources: Registered[];
  readonly invokes: Recorder["invokes"];
}

async function install(
  project: string,
  stack: string,
  config: Record<string, unknown>,
  preview: boolean,
  autoname: (n: string) => string,
) {
  const recorder = new AutonamingRecorder(autoname);
  await pulumi.runtime.setMocks(recorder, project, stack, preview);
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
  );
  return recorder;
}

/** A stack's Pulumi.<stack>.yaml config, as the CLI hands it to the program. */
export async function stackConfigFile(stack: string): Promise<Record<string, unknown>> {
  const text = await readFile(join(packageRoot(), `Pulumi.${stack}.yaml`), "utf8");
  return (parse(text) as { config: Record<string, unknown> }).config;
}

/**
 * Run the stack program with a config (the file's, plus overrides); `preview` runs it as
 * `pulumi preview` does. The model is trained small and the fixtures stand in for the handler
 * and the image context: neither changes a policy.
 */
export async function runStack(
  stack: string,
  config: Record<string, unknown>,
  preview = false,
  /** What the bucket's registry holds, by key (for a stack pinned to a model version). */
  objects: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<ProgramRun> {
  const build = await tempDir("iam");
  try {
    const api = (config["iris-mlops:api"] ?? {}) as object;
    const image = (config["iris-mlops:image"] ?? {}) as object;
    const recorder = await install(
      PROJECT,
      stack,
      {
        ...config,
        "iris-mlops:model": { trees: 3, folds: 2 },
        "iris-mlops:api": { ...api, handlerEntry: FIXTURE_HANDLER },
        "iris-mlops:image": { ...image, context: FIXTURE_IMAGE_CONTEXT },
      },
      preview,
      (name) => `${PROJECT}-${stack}-${name}-${hex7(`${stack}/${name}`)}`,
    );
    for (const [key, body] of objects) recorder.objects.set(key, body);
    const outputs = await irisStack(undefined, { buildRoot: build.dir });
    await settle(recorder, [outputs.apiUrl, outputs.dashboardName]);
    return { stack, resources: [...recorder.resources], invokes: [...recorder.invokes] };
  } finally {
    await build.remove();
  }
}

let bootstrapRun: { repository: string; run: Promise<ProgramRun> } | undefined;

/** Run bootstrap/index.ts. It runs on import, so once per process: later calls get that run. */
export function runBootstrap(repository: string): Promise<ProgramRun> {
  if (bootstrapRun && bootstrapRun.repository !== repository) {
    throw new Error(`the bootstrap program already ran for ${bootstrapRun.repository}`);
  }
  bootstrapRun ??= { repository, run: importBootstrap(repository) };
  return bootstrapRun.run;
}

async function importBootstrap(repository: string): Promise<ProgramRun> {
  const project = "iris-mlops-bootstrap";
  const recorder = await install(
    project,
    "aws-account",
    { [`${project}:repository`]: repository },
    false,
    (name) => `${name}-${hex7(name)}`,
  );
  await import("../../bootstrap/index.js");
  await settle(recorder);
  return {
    stack: "aws-account",
    resources: [...recorder.resources],
    invokes: [...recorder.invokes],
  };
}

const POLICY_FIELDS: Record<string, [field: string, kind: FoundDocument["kind"]][]> = {
  "aws:iam/role:Role": [["assumeRolePolicy", "trust"]],
  "aws:iam/rolePolicy:RolePolicy": [["policy", "identity"]],
  "aws:iam/policy:Policy": [["policy", "identity"]],
  "aws:s3/bucketPolicy:BucketPolicy": [["policy", "resource"]],
  "aws:ecr/repositoryPolicy:RepositoryPolicy": [["policy", "resource"]],
  "aws:kms/key:Key": [["policy", "resource"]],
  "aws:sns/topicPolicy:TopicPolicy": [["policy", "resource"]],
  "aws:lambda/function:Function": [],
  "aws:lambda/permission:Permission": [],
};

/**
 * The statement Lambda adds to the function's resource policy for an aws.lambda.Permission
 * (AddPermission), as GetPolicy returns it.
 */
export function permissionDocument(r: Registered): PolicyDocument {
  const i = r.inputs;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: i.principal },
        Action: i.action,
        // a permission with a qualifier covers that alias or version only
        Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${i.function}${i.qualifier ? `:${i.qualifier}` : ""}`,
        ...(i.sourceArn ? { Condition: { ArnLike: { "AWS:SourceArn": i.sourceArn } } } : {}),
      },
    ],
  };
}

/** Types whose inputs are known to hold no IAM document (anything else with `Statement` fails). */
export function policyDocuments(
  run: ProgramRun,
  boundaries: Set<string> = new Set(),
): FoundDocument[] {
  const found: FoundDocument[] = [];
  for (const r of run.resources) {
    if (r.type === "aws:lambda/permission:Permission") {
      found.push({
        origin: `${run.stack}: ${r.type} ${r.name}`,
        kind: "resource",
        document: permissionDocument(r),
      });
    }
    for (const [field, kind] of POLICY_FIELDS[r.type] ?? []) {
      const text = r.inputs[field];
      if (typeof text !== "string") continue;
      const isBoundary =
        kind === "identity" && r.type === "aws:iam/policy:Policy" && boundaries.has(r.name);
      found.push({
        origin: `${run.stack}: ${r.type} ${r.name}.${field}`,
        kind: isBoundary ? "boundary" : kind,
        document: JSON.parse(text) as PolicyDocument,
      });
    }
  }
  return found;
}

/** Inputs that look like a policy document on a type POLICY_FIELDS does not know: a document missed. */
export function unknownDocuments(run: ProgramRun): string[] {
  return run.resources
    .filter((r) => r.custom && !(r.type in POLICY_FIELDS))
    .flatMap((r) =>
      Object.entries(r.inputs)
        .filter(([, v]) => typeof v === "string" && /"Statement"\s*:/.test(v))
        .map(([k]) => `${r.type} ${r.name}.${k}`),
    );
}
