/**
 * What a SageMakerEndpoint's execution role may do: read the model under the registry's prefix,
 * pull the image from its repository, write the endpoint's logs and metrics.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENDPOINT_LOG_ACTIONS } from "./deploy-role-statements.js";
import { modelReadStatements } from "./model-registry.js";

export function endpointRoleStatements(
  modelsArn: pulumi.Input<string>,
  modelKmsKeyArn: pulumi.Input<string | undefined> | undefined,
  repositoryArn: pulumi.Input<string>,
  logGroupArn: pulumi.Input<string>,
) {
  return pulumi
    .all([modelReadStatements(modelsArn, modelKmsKeyArn), repositoryArn, logGroupArn])
    .apply(([read, repositoryArn, logArn]) => [
      ...read,
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: repositoryArn,
      },
      {
        // GetAuthorizationToken has no resource to scope to
        Sid: "RegistryToken",
        Effect: "Allow",
        Action: "ecr:GetAuthorizationToken",
        Resource: "*",
      },
      {
        Sid: "WriteEndpointLogs",
        Effect: "Allow",
        Action: ENDPOINT_LOG_ACTIONS,
        Resource: [logArn, `${logArn}:*`],
      },
      {
        Sid: "PutEndpointMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: {
          StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" },
        },
      },
    ]);
}
