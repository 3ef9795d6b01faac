/**
 * LambdaInferenceApi's function: the handler bundled with esbuild (Node 22, published as numbered
 * versions), its log group, and its role, which may read the models under the bucket's `models/`
 * prefix (the registry: during a rollout the stable version serves beside the new one) and write
 * exactly its own log group, nothing else. Children of the component, named from its name.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ApiAuthMode } from "./api-auth.js";
import { type Bundle, bundleArchive, bundleHandler } from "./bundle.js";
import { logPrefix } from "./lambda-http-api.js";
import type { LambdaInferenceApiArgs } from "./lambda-inference-api-args.js";
import { modelReadStatements, registryObjectsArn } from "./model-registry.js";
import { defaultHandlerEntry } from "./paths.js";
import { serviceRole } from "./service-role.js";

export interface InferenceFunctionArgs extends LambdaInferenceApiArgs {
  /** Days the function's logs are kept (the component's default applied). */
  readonly retentionInDays: pulumi.Input<number>;
  /** The `auth` mode, which the page shows callers (`API_AUTH`). */
  readonly authMode: ApiAuthMode;
}

export function createInferenceFunction(
  name: string,
  args: InferenceFunctionArgs,
  component: pulumi.ComponentResource,
) {
  const parent = { parent: component };
  const retentionInDays = args.retentionInDays;
  const sourceMap = pulumi.output(args.sourceMap ?? true);
  const bundle: pulumi.Output<Bundle> = pulumi
    .all([args.handlerEntry ?? defaultHandlerEntry(), sourceMap, args.externalModules ?? []])
    .apply(([entry, withMap, external]) => bundleHandler(entry, { sourceMap: withMap, external }));
  const partition = aws.getPartitionOutput({}, parent).partition;
  const modelsArn = registryObjectsArn(partition, args.modelBucketName, args.modelKey);

  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { namePrefix: `/aws/lambda/${logPrefix(name)}-`, retentionInDays, tags: args.tags },
    parent,
  );

  const { role, policy } = serviceRole(
    name,
    {
      service: "lambda.amazonaws.com",
      statements: pulumi
        .all([modelReadStatements(modelsArn, args.modelKmsKeyArn), logGroup.arn])
        .apply(([read, logArn]) => [
          ...read,
          {
            // both act on the group's streams (`<group ARN>:log-stream:<name>`), never on
            // the group's own ARN
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${logArn}:*`,
          },
        ]),
      permissionsBoundary: args.permissionsBoundary,
      tags: args.tags,
    },
    parent,
  );

  const fn = new aws.lambda.Function(
    `${name}-function`,
    {
      runtime: "nodejs22.x",
      handler: "index.handler",
      architectures: [pulumi.output(args.architecture ?? "arm64")],
      code: bundle.apply(bundleArchive),
      sourceCodeHash: bundle.hash,
      // every change publishes a numbered version, which a rollout moves the alias to
      publish: true,
      role: role.arn,
      memorySize: args.memorySize ?? 512,
      timeout: args.timeout ?? 10,
      reservedConcurrentExecutions: args.reservedConcurrentExecutions,
      environment: {
        variables: pulumi
          .all([args.modelBucketName, args.modelKey, args.modelSha256, sourceMap])
          .apply(([bucket, key, sha, withMap]) => ({
            MODEL_BUCKET: bucket,
            MODEL_KEY: key,
            MODEL_SHA256: sha,
            // the page tells a visitor how to call: open, sign with SigV4, or paste a token
            API_AUTH: args.authMode,
            CAPTURE_SAMPLE: String(args.capture?.sample ?? 0),
            ...(withMap ? { NODE_OPTIONS: "--enable-source-maps" } : {}),
          })),
      },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: logGroup.name,
        applicationLogLevel: "INFO",
        systemLogLevel: "WARN",
      },
      tags: args.tags,
    },
    // the role may log and read the model before the first invocation
    { parent: component, dependsOn: [policy] },
  );

  return { fn, role, logGroup, bundle };
}
