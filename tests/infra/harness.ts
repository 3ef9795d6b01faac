/**
 * Pulumi mocks for the infrastructure tests: no CLI, no plugins, no AWS. Every test file calls
 * `useMocks()` in its hooks, which installs a fresh recorder and replaces the whole configuration,
 * so the files can share one mocha process in any order.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../../training/options.js";
import { train } from "../../training/train.js";
import { writeArtifact } from "../../training/write.js";

export const PROJECT = "iris-mlops";
export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const FIXTURES = join(__dirname, "..", "fixtures", "infra");
export const FIXTURE_HANDLER = join(FIXTURES, "lambda-handler.ts");
export const FIXTURE_IMAGE_CONTEXT = join(FIXTURES, "image");
/** A LambdaInferenceApi's model arguments, as ModelBucket would give them. */
export const LAMBDA_MODEL = {
  modelBucketName: "models-bucket-1234567",
  modelKey: "models/0123456789abcdef/model.tar.gz",
  modelSha256: "a".repeat(64),
};

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are whatever the SDK serialised
type Props = Record<string, any>;

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Props;
  readonly state: Props;
}

const hash = (value: unknown, length = 8) =>
  createHash("sha256")
    .update(JSON.stringify(value, (_k, v) => (v instanceof pulumi.asset.Asset ? "<asset>" : v)))
    .digest("hex")
    .slice(0, length);

const invokeArnOf = (lambdaArn: string) =>
  `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${lambdaArn}/invocations`;

/** Computed fields the real providers would fill in, derived from the inputs so reruns agree. */
function computed(type: string, name: string, inputs: Props): { id: string; state: Props } {
  const suffix = hash(inputs, 7);
  const auto = (given: unknown) => (typeof given === "string" ? given : `${name}-${suffix}`);
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? `${name}-`}${suffix}`;
      return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}` } };
    }
    case "aws:iam/role:Role": {
      const roleName = auto(inputs.name);
      return {
        id: roleName,
        state: { name: roleName, arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}` },
      };
    }
    case "aws:cloudwatch/logGroup:LogGroup": {
      const group = inputs.name ?? `${inputs.namePrefix ?? `${name}-`}${suffix}`;
      return {
        id: group,
        state: { name: group, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}` },
      };
    }
    case "aws:lambda/function:Function": {
      const fn = auto(inputs.name);
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}`;
      // a published function's newest version: a number that changes with what it publishes
      const version = inputs.publish ? String(1 + (Number.parseInt(suffix, 16) % 997)) : "$LATEST";
      return {
        id: fn,
        state: {
          name: fn,
          arn,
          version,
          qualifiedArn: `${arn}:${version}`,
          invokeArn: invokeArnOf(arn),
        },
      };
    }
    case "aws:lambda/alias:Alias": {
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${inputs.functionName}:${inputs.name}`;
      return { id: arn, state: { arn, invokeArn: invokeArnOf(arn) } };
    }
    case "aws:codedeploy/application:Application": {
      const app = auto(inputs.name);
      return {
        id: app,
        state: { name: app, arn: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:application:${app}` },
      };
    }
    case "aws:codedeploy/deploymentGroup:DeploymentGroup": {
      const group = `${inputs.appName}:${inputs.deploymentGroupName}`;
      return {
        id: group,
        state: {
          arn: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${inputs.appName}/${inputs.deploymentGroupName}`,
        },
      };
    }
    case "aws:codedeploy/deploymentConfig:DeploymentConfig":
      return {
        id: inputs.deploymentConfigName,
        state: {
          arn: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:${inputs.deploymentConfigName}`,
        },
      };
    case "pulumi-nodejs:dynamic:LambdaDeployment":
      // what the provider answers when the alias already serves the target version
      return {
        id: "lambda-deployment",
        state: {
          status: "Unchanged",
          fromVersion: inputs.targetVersion,
          toVersion: inputs.targetVersion,
        },
      };
    case "aws:apigatewayv2/api:Api": {
      const id = `api${suffix}`;
      return {
        id,
        state: {
          apiEndpoint: `https://${id}.execute-api.${REGION}.amazonaws.com`,
          executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}`,
          arn: `arn:aws:apigateway:${REGION}::/apis/${id}`,
        },
      };
    }
    case "aws:ecr/repository:Repository": {
      const repo = auto(inputs.name);
      return {
        id: repo,
        state: {
          name: repo,
          arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repo}`,
          registryId: ACCOUNT,
          repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repo}`,
        },
      };
    }
    case "docker-build:index:Image": {
      // a stand-in digest that changes with what would change the image
      const digest = `sha256:${createHash("sha256")
        .update(JSON.stringify([inputs.tags, inputs.buildArgs, inputs.platforms]))
        .digest("hex")}`;
      const tag = (inputs.tags?.[0] as string | undefined) ?? name;
      return { id: digest, state: { digest, ref: `${tag}@${digest}`, contextHash: suffix } };
    }
    case "aws:sagemaker/model:Model":
    case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
    case "aws:sagemaker/endpoint:Endpoint": {
      const kind = {
        "aws:sagemaker/model:Model": "model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "endpoint-config",
        "aws:sagemaker/endpoint:Endpoint": "endpoint",
      }[type];
      const resourceName = auto(inputs.name);
      return {
        id: resourceName,
        state: {
          name: resourceName,
          arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:${kind}/${resourceName.toLowerCase()}`,
        },
      };
    }
    case "aws-native:sagemaker:Endpoint": {
      const endpointName = auto(inputs.endpointName);
      return {
        id: endpointName,
        state: {
          endpointName,
          endpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${endpointName.toLowerCase()}`,
        },
      };
    }
    case "aws:scheduler/schedule:Schedule": {
      const schedule = auto(inputs.name);
      const group = inputs.groupName ?? "default";
      return {
        id: `${group}/${schedule}`,
        state: {
          name: schedule,
          groupName: group,
          arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${schedule}`,
        },
      };
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm": {
      const alarmName = auto(inputs.name);
      return {
        id: alarmName,
        state: {
          name: alarmName,
          arn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`,
        },
      };
    }
    case "aws:sns/topic:Topic": {
      const topic = auto(inputs.name);
      return {
        id: topic,
        state: { name: topic, arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}` },
      };
    }
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
      const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`;
      return { id: arn, state: { arn } };
    }
    case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
      const stream = auto(inputs.name);
      return {
        id: stream,
        state: {
          name: stream,
          arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${stream}`,
        },
      };
    }
    case "aws:iam/policy:Policy": {
      const policy = auto(inputs.name);
      return {
        id: policy,
        state: { name: policy, arn: `arn:aws:iam::${ACCOUNT}:policy/${policy}` },
      };
    }
    default:
      return { id: `${name}-${suffix}`, state: {} };
  }
}

export class Recorder implements pulumi.runtime.Mocks {
  readonly resources: Registered[] = [];
  readonly invokes: { token: string; inputs: Props }[] = [];
  /** What the S3 data sources find, by key, in whichever bucket they are asked about. */
  readonly objects = new Map<string, Uint8Array>();

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const { id, state } = computed(args.type, args.name, args.inputs);
    const full = { ...args.inputs, ...state };
    this.resources.push({
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      inputs: args.inputs,
      state: full,
    });
    return { id, state: full };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.invokes.push({ token: args.token, inputs: args.inputs });
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          id: ACCOUNT,
          accountId: ACCOUNT,
          arn: `arn:aws:iam::${ACCOUNT}:user/test`,
          userId: "AIDATEST",
        };
      case "aws:index/getRegion:getRegion":
        return {
          id: REGION,
          name: REGION,
          region: REGION,
          endpoint: `ec2.${REGION}.amazonaws.com`,
          description: "Europe (Ireland)",
        };
      case "aws:index/getPartition:getPartition":
        return {
          id: "aws",
          partition: "aws",
          dnsSuffix: "amazonaws.com",
          reverseDnsPrefix: "com.amazonaws",
        };
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
          id: REGION,
          registryId: args.inputs.registryId,
          userName: "AWS",
          password: "mock-ecr-password",
          authorizationToken: Buffer.from("AWS:mock-ecr-password").toString("base64"),
          proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
          expiresAt: "2030-01-01T00:00:00Z",
          region: REGION,
        };
      case "aws:s3/getObjects:getObjects": {
        const prefix = (args.inputs.prefix as string | undefined) ?? "";
        // the provider pages ListObjectsV2 up to maxKeys (default 1,000), in key order
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(prefix))
          .sort()
          .slice(0, (args.inputs.maxKeys as number | undefined) ?? 1000);
        return { id: args.inputs.bucket, ...args.inputs, keys, commonPrefixes: [], owners: [] };
      }
      case "aws:s3/getObject:getObject": {
        const body = this.objects.get(args.inputs.key);
        // the provider's answer to a HeadObject 404
        if (!body)
          throw new Error(`couldn't find resource (s3://${args.inputs.bucket}/${args.inputs.key})`);
        return {
          id: `${args.inputs.bucket}/${args.inputs.key}`,
          ...args.inputs,
          contentLength: body.length,
          bodyBase64:
            args.inputs.downloadBody === "true" ? Buffer.from(body).toString("base64") : "",
          metadata: {},
          tags: {},
        };
      }
      default:
        throw new Error(`unexpected invoke ${args.token}`);
    }
  }

  /** Custom resources of a type, optionally only those whose name matches. */
  all(type: string, name?: string | RegExp): Registered[] {
    return this.resources.filter(
      (r) =>
        r.type === type &&
        (name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name))),
    );
  }

  /** The one resource of a type (and name): fails when there is none or more than one. */
  one(type: string, name?: string | RegExp): Registered {
    const found = this.all(type, name);
    if (found.length !== 1) {
      throw new Error(
        `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
      );
    }
    return found[0] as Registered;
  }

  types(): string[] {
    return [...new Set(this.resources.map((r) => r.type))].sort();
  }
}

/**
 * Install fresh mocks and replace the configuration. Values that are not strings are stored as
 * JSON, which is how the CLI hands structured config to the program.
 */
export async function useMocks(
  config: Record<string, unknown> = {},
  stack = "test",
  preview = false,
): Promise<Recorder> {
  const recorder = new Recorder();
  await pulumi.runtime.setMocks(recorder, PROJECT, stack, preview);
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
  );
  return recorder;
}

/** An Output's value (fails after a while instead of hanging when it never resolves). */
export function value<T>(output: pulumi.Output<T>, ms = 20000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("output did not resolve")), ms);
    output.apply((v) => {
      clearTimeout(timer);
      resolve(v);
      return v;
    });
  });
}

/** Wait for the given outputs, then until no resource has been registered for a little while. */
export async function settle(recorder: Recorder, outputs: pulumi.Output<unknown>[] = []) {
  await Promise.all(outputs.map((o) => value(o)));
  let count = -1;
  let quiet = 0;
  while (quiet < 4) {
    await new Promise((r) => setTimeout(r, 25));
    if (recorder.resources.length === count) quiet++;
    else {
      count = recorder.resources.length;
      quiet = 0;
    }
  }
}

/**
 * The error an Output failed with. Pulumi keeps an Output's promise to itself (`apply` never
 * calls back on a failure), so this reads it the way the SDK's own tests do.
 */
export function failure(output: pulumi.Output<unknown>, ms = 20000): Promise<Error> {
  const promise = (output as unknown as { promise(): Promise<unknown> }).promise();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("output neither resolved nor failed")), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        reject(new Error(`the output resolved to ${JSON.stringify(v)} instead of failing`));
      },
      (error: Error) => {
        clearTimeout(timer);
        resolve(error);
      },
    );
  });
}

/** A policy document input, parsed. */
export const policyOf = (r: Registered, field = "policy") =>
  JSON.parse(r.inputs[field] as string) as {
    Version: string;
    Statement: {
      Sid?: string;
      Effect: string;
      Action: string | string[];
      Resource: string | string[];
      Principal?: unknown;
      Condition?: unknown;
    }[];
  };

/** A temporary folder, removed by the returned function. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `iris-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Train a small model and write its model.tar.gz into `dir`; returns the tarball's path. */
export async function writeTestModel(dir: string, overrides: Partial<TrainOptions> = {}) {
  const { files, manifest } = train(loadIris(), {
    ...DEFAULT_TRAIN_OPTIONS,
    trees: 5,
    folds: 2,
    ...overrides,
  });
  const { tarball } = await writeArtifact(dir, files);
  return { tarball, manifest };
}
