/**
 * SageMakerEndpoint's model: the endpoint's log group (created before SageMaker writes to it, to
 * set retention and scope the role's log permissions to exactly it), the execution role
 * (sagemaker-role.ts) and the SageMaker Model, the image by digest with the model from S3 and the
 * manifest pin the container checks. Children of the component, named from its name.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registryObjectsArn } from "./model-registry.js";
import { endpointCaptureStatements, serverlessCaptureEnv } from "./sagemaker-capture.js";
import {
  type batchPrefixesOf,
  checkManifestPin,
  type SageMakerEndpointArgs,
} from "./sagemaker-endpoint-args.js";
import { endpointRoleStatements } from "./sagemaker-role.js";
import { serviceRole } from "./service-role.js";

export interface EndpointModelArgs extends SageMakerEndpointArgs {
  /** The endpoint's name, which names its log group. */
  readonly endpointName: pulumi.Output<string>;
  /** The image, its digest checked. */
  readonly imageUri: pulumi.Output<string>;
  readonly partition: pulumi.Output<string>;
  /** Batch transform's S3 prefixes, if the role may use them (batchPrefixesOf). */
  readonly batch: ReturnType<typeof batchPrefixesOf>;
  /** Whether the endpoint is serverless (no data capture: the container logs it instead). */
  readonly serverless: boolean;
}

export function createEndpointModel(
  name: string,
  args: EndpointModelArgs,
  component: pulumi.ComponentResource,
) {
  const parent = { parent: component };
  const { endpointName, imageUri, partition, batch } = args;
  const modelsArn = registryObjectsArn(partition, args.modelBucketName, args.modelKey);

  // SageMaker writes to /aws/sagemaker/Endpoints/<endpoint name>: created here to set retention
  // and to scope the role's log permissions to exactly this group
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    {
      name: pulumi.interpolate`/aws/sagemaker/Endpoints/${endpointName}`,
      retentionInDays: args.logRetentionInDays ?? 14,
      tags: args.tags,
    },
    parent,
  );

  const { role, policy } = serviceRole(
    name,
    {
      service: "sagemaker.amazonaws.com",
      statements: endpointRoleStatements(
        modelsArn,
        args.modelKmsKeyArn,
        args.repositoryArn,
        logGroup.arn,
        batch && { partition, prefixes: batch },
        args.capture && !args.serverless ? endpointCaptureStatements(args.capture) : [],
      ),
      permissionsBoundary: args.permissionsBoundary,
      tags: args.tags,
    },
    parent,
  );

  const model = new aws.sagemaker.Model(
    `${name}-model`,
    {
      executionRoleArn: role.arn,
      primaryContainer: {
        image: imageUri,
        modelDataUrl: pulumi.interpolate`s3://${args.modelBucketName}/${args.modelKey}`,
        mode: "SingleModel",
        // what SageMaker unpacks came from S3: the container loads it only with this pin
        environment: {
          MODEL_MANIFEST_SHA256: pulumi.output(args.modelManifestSha256).apply(checkManifestPin),
          ...(args.capture && args.serverless ? serverlessCaptureEnv(args.capture) : {}),
        },
      },
      tags: args.tags,
    },
    // CreateModel checks that the role can reach the image and the model
    { parent: component, dependsOn: [policy] },
  );

  return { logGroup, role, model };
}
