/**
 * The AWS API calls `pulumi up`, `pulumi refresh` and `pulumi destroy` make for each resource the
 * stack registers, as IAM authorises them: one action on one exact resource, with the condition
 * keys the request carries. Derived from what the Pulumi AWS provider (terraform-provider-aws)
 * and docker-build call for each step, and from what Application Auto Scaling checks the caller
 * for. Adding an action is one line in the right list; a new resource type without an entry here
 * fails tests/infra/iam-roles.test.ts.
 *
 * A row is an action on the resource's own ARN, or [action, resource, context?] for another one.
 */

import { ENDPOINT_ROLLOUT_CHECK_ACTIONS } from "../../components/endpoint-rollout-check.js";
import { LAMBDA_DEPLOYMENT_ACTIONS } from "../../components/lambda-deployment.js";
import type { Context } from "../helpers/iam-evaluator.js";
import { ACCOUNT, REGION, type Registered } from "./harness.js";

export interface Call {
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
}

/** What a row may look up: every resource of the same program run. */
export interface Deployment {
  readonly resources: readonly Registered[];
}

type Of<T> = (r: Registered, d: Deployment) => T;
type Row = string | [action: string, resource: Of<string>, context?: Of<Context>];

interface Lifecycle {
  /** The resource's own ARN. */
  readonly arn: Of<string>;
  /** Create (and update, for what changes in place), then the read that follows. */
  readonly create: Row[];
  readonly read: Row[];
  readonly update?: Row[];
  readonly delete: Row[];
  /** Calls worked out from the resource, made by create and by update (a dynamic provider's). */
  readonly applies?: (r: Registered, d: Deployment) => Call[];
}

const P = "aws";
const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
  `arn:${P}:${service}:${region}:${account}:${resource}`;
export const roleArn = (name: string) => `arn:${P}:iam::${ACCOUNT}:role/${name}`;
const bucketArn = (r: Registered) => `arn:${P}:s3:::${r.inputs.bucket}`;
const repositoryArn = (name: string) => arn("ecr", `repository/${name}`);
const apis = `arn:${P}:apigateway:${REGION}::/apis`;
/** API Gateway authorises tagging on /tags/<the URL-encoded ARN of what is tagged>. */
const tags = (taggedArn: string) =>
  `arn:${P}:apigateway:${REGION}::/tags/${encodeURIComponent(taggedArn)}`;
const apiId = (d: Deployment, id: string) => {
  const api = d.resources.find((x) => x.type === "aws:apigatewayv2/api:Api");
  return (api?.state.arn as string | undefined)?.split("/").pop() ?? id;
};
const sub = (r: Registered, d: Deployment, path: string) =>
  `${apis}/${apiId(d, r.inputs.apiId)}/${path}`;
const roleNamed = (d: Deployment, name: string) =>
  d.resources.find((x) => x.type === "aws:iam/role:Role" && x.state.name === name);
const boundaryOf = (role: Registered | undefined): Context =>
  role?.inputs.permissionsBoundary
    ? { "iam:PermissionsBoundary": role.inputs.permissionsBoundary }
    : {};
const passedTo = (service: string) => () => ({ "iam:PassedToService": service });

/** Application Auto Scaling names a target's ARN with a random id. */
const SCALABLE_TARGET = arn(
  "application-autoscaling",
  "scalable-target/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
);
const scaling = (r: Registered): Context => ({
  "application-autoscaling:service-namespace": r.inputs.serviceNamespace,
  "application-autoscaling:scalable-dimension": r.inputs.scalableDimension,
});
const endpointOf = (r: Registered) =>
  arn("sagemaker", `endpoint/${String(r.inputs.resourceId).split("/")[1]?.toLowerCase()}`);
/** The alarms a target-tracking policy creates: `TargetTracking-<resource id>-AlarmHigh|Low-<uuid>`. */
const trackingAlarm = (kind: "High" | "Low") => (r: Registered) =>
  arn(
    "cloudwatch",
    `alarm:TargetTracking-${r.inputs.resourceId}-Alarm${kind}-6f1c2a9e-0b7d-4c3e-9a58-2d4e6f8a0b1c`,
  );
const SAGEMAKER_AUTOSCALING = "sagemaker.application-autoscaling.amazonaws.com";

const functionArn = (name: string) => arn("lambda", `function:${name}`);
const groupOf = (d: Deployment, group: string) =>
  d.resources.find(
    (x) =>
      x.type === "aws:codedeploy/deploymentGroup:DeploymentGroup" &&
      x.inputs.deploymentGroupName === group,
  );
const groupArn = (g: Registered) =>
  arn("codedeploy", `deploymentgroup:${g.inputs.appName}/${g.inputs.deploymentGroupName}`);

/**
 * Where each call of the LambdaDeployment provider lands (components/lambda-deployment.ts): a
 * CodeDeploy deployment in the group, its AppSpec registered as a revision of the application,
 * the group's configuration read, the alias read. An action missing here fails the run.
 */
function deploymentCalls(r: Registered, d: Deployment): Call[] {
  const group = groupOf(d, r.inputs.deploymentGroupName);
  if (!group) throw new Error(`no deployment group ${r.inputs.deploymentGroupName}`);
  const on: Record<string, string> = {
    deploymentgroup: groupArn(group),
    application: arn("codedeploy", `application:${r.inputs.applicationName}`),
    deploymentconfig: arn("codedeploy", `deploymentconfig:${group.inputs.deploymentConfigName}`),
    alias: `${functionArn(r.inputs.functionName)}:${r.inputs.aliasName}`,
    none: "*",
  };
  const target: Record<string, keyof typeof on> = {
    "codedeploy:CreateDeployment": "deploymentgroup",
    "codedeploy:GetDeployment": "deploymentgroup",
    "codedeploy:ListDeployments": "deploymentgroup",
    "codedeploy:GetDeploymentConfig": "deploymentconfig",
    "codedeploy:GetApplicationRevision": "application",
    "codedeploy:RegisterApplicationRevision": "application",
    "codedeploy:ListDeploymentTargets": "none",
    "codedeploy:GetDeploymentTarget": "none",
    "lambda:GetAlias": "alias",
  };
  return LAMBDA_DEPLOYMENT_ACTIONS.map((action) => {
    const kind = target[action];
    if (!kind)
      throw new Error(`${action}: where does the LambdaDeployment call it? (iam-calls.ts)`);
    return { action, resource: on[kind] as string };
  });
}

const s3Setting = (put: string, get: string, remove = put): Lifecycle => ({
  arn: bucketArn,
  create: [put],
  read: [get],
  delete: [remove],
});

export const PROVIDER_CALLS: Record<string, Lifecycle> = {
  "aws:s3/bucket:Bucket": {
    arn: (r) => r.state.arn,
    create: ["s3:CreateBucket", "s3:PutBucketTagging"],
    read: [
      "s3:ListBucket", // HeadBucket
      "s3:GetBucketPolicy",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketWebsite",
      "s3:GetBucketVersioning",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketLogging",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketTagging",
    ],
    delete: [
      "s3:DeleteBucket",
      // forceDestroy empties it first
      "s3:ListBucketVersions",
      ["s3:DeleteObjectVersion", (r) => `${r.state.arn}/models/0123456789abcdef/model.tar.gz`],
    ],
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3Setting(
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
  ),
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3Setting(
    "s3:PutBucketOwnershipControls",
    "s3:GetBucketOwnershipControls",
  ),
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    s3Setting("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
  "aws:s3/bucketVersioning:BucketVersioning": s3Setting(
    "s3:PutBucketVersioning",
    "s3:GetBucketVersioning",
  ),
  "aws:s3/bucketPolicy:BucketPolicy": s3Setting(
    "s3:PutBucketPolicy",
    "s3:GetBucketPolicy",
    "s3:DeleteBucketPolicy",
  ),
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3Setting(
    "s3:PutLifecycleConfiguration",
    "s3:GetLifecycleConfiguration",
  ),
  "aws:s3/bucketObjectv2:BucketObjectv2": {
    arn: (r) => `${bucketArn(r)}/${r.inputs.key}`,
    create: ["s3:PutObject", "s3:PutObjectTagging"],
    read: ["s3:GetObject" /* HeadObject */, "s3:GetObjectTagging"],
    delete: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
  },
  "aws:ecr/repository:Repository": {
    arn: (r) => r.state.arn,
    create: ["ecr:CreateRepository", "ecr:TagResource"],
    read: ["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
    update: ["ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability"],
    delete: ["ecr:DeleteRepository"],
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
    arn: (r) => repositoryArn(r.inputs.repository),
    create: ["ecr:PutLifecyclePolicy"],
    read: ["ecr:GetLifecyclePolicy"],
    delete: ["ecr:DeleteLifecyclePolicy"],
  },
  "docker-build:index:Image": {
    // the push: layers, then the manifest under the tag (the login is the token invoke)
    arn: (r) =>
      repositoryArn(
        String(r.inputs.tags?.[0])
          .replace(/^[^/]+\//, "")
          .split(":")[0] ?? "",
      ),
    create: [
      "ecr:BatchCheckLayerAvailability",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
      "ecr:BatchGetImage",
    ],
    read: [],
    delete: [], // docker-build leaves pushed tags in place
  },
  "aws:iam/role:Role": {
    arn: (r) => r.state.arn,
    create: [["iam:CreateRole", (r) => r.state.arn, boundaryOf], "iam:TagRole"],
    read: ["iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
    update: [
      "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy",
      ["iam:PutRolePermissionsBoundary", (r) => r.state.arn, boundaryOf],
    ],
    delete: [
      "iam:ListInstanceProfilesForRole",
      "iam:ListAttachedRolePolicies",
      "iam:ListRolePolicies",
      "iam:DeleteRolePolicy",
      "iam:DeleteRole",
    ],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    arn: (r) => roleArn(r.inputs.role),
    create: [
      [
        "iam:PutRolePolicy",
        (r) => roleArn(r.inputs.role),
        (r, d) => boundaryOf(roleNamed(d, r.inputs.role)),
      ],
    ],
    read: ["iam:GetRolePolicy"],
    delete: ["iam:DeleteRolePolicy"],
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    arn: (r) => r.state.arn,
    create: [
      ["logs:CreateLogGroup", (r) => `${r.state.arn}:*`],
      ["logs:PutRetentionPolicy", (r) => `${r.state.arn}:*`],
      "logs:TagResource",
    ],
    read: [["logs:DescribeLogGroups", () => "*"], "logs:ListTagsForResource"],
    delete: [["logs:DeleteLogGroup", (r) => `${r.state.arn}:*`]],
  },
  "aws:lambda/function:Function": {
    arn: (r) => r.state.arn,
    create: [
      "lambda:CreateFunction",
      ["iam:PassRole", (r) => r.inputs.role, passedTo("lambda.amazonaws.com")],
      "lambda:TagResource",
      "lambda:PutFunctionConcurrency",
    ],
    read: [
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:ListTags",
    ],
    update: [
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:GetFunctionConfiguration",
      "lambda:DeleteFunctionConcurrency",
      // publish: true, after each change
      "lambda:PublishVersion",
    ],
    delete: ["lambda:DeleteFunction"],
  },
  "aws:lambda/alias:Alias": {
    arn: (r) => `${functionArn(r.inputs.functionName)}:${r.inputs.name}`,
    create: ["lambda:CreateAlias"],
    read: ["lambda:GetAlias"],
    update: ["lambda:UpdateAlias"],
    delete: ["lambda:DeleteAlias"],
  },
  "aws:lambda/permission:Permission": {
    // on the qualified ARN when the permission is for an alias
    arn: (r) =>
      functionArn(
        r.inputs.qualifier ? `${r.inputs.function}:${r.inputs.qualifier}` : r.inputs.function,
      ),
    create: ["lambda:AddPermission"],
    read: ["lambda:GetPolicy"],
    delete: ["lambda:RemovePermission"],
  },
  "aws:apigatewayv2/api:Api": {
    arn: (r) => r.state.arn,
    create: [
      ["apigateway:POST", () => apis],
      ["apigateway:POST", (r) => tags(r.state.arn)],
    ],
    read: ["apigateway:GET", ["apigateway:GET", (r) => tags(r.state.arn)]],
    update: ["apigateway:PATCH", ["apigateway:DELETE", (r) => tags(r.state.arn)]],
    delete: ["apigateway:DELETE"],
  },
  "aws:apigatewayv2/integration:Integration": {
    arn: (r, d) => sub(r, d, `integrations/${r.name}-id`),
    create: [["apigateway:POST", (r, d) => sub(r, d, "integrations")]],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH"],
    delete: ["apigateway:DELETE"],
  },
  "aws:apigatewayv2/authorizer:Authorizer": {
    arn: (r, d) => sub(r, d, `authorizers/${r.name}-id`),
    create: [["apigateway:POST", (r, d) => sub(r, d, "authorizers")]],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH"],
    delete: ["apigateway:DELETE"],
  },
  "aws:apigatewayv2/route:Route": {
    arn: (r, d) => sub(r, d, `routes/${r.name}-id`),
    create: [["apigateway:POST", (r, d) => sub(r, d, "routes")]],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH"],
    delete: ["apigateway:DELETE"],
  },
  "aws:apigatewayv2/stage:Stage": {
    arn: (r, d) => sub(r, d, `stages/${r.inputs.name}`),
    create: [
      ["apigateway:POST", (r, d) => sub(r, d, "stages")],
      ["apigateway:POST", (r, d) => tags(sub(r, d, `stages/${r.inputs.name}`))],
      // access logs to CloudWatch are a log delivery API Gateway sets up with the caller's rights
      ["logs:CreateLogDelivery", () => "*"],
      ["logs:GetLogDelivery", () => "*"],
      ["logs:UpdateLogDelivery", () => "*"],
      ["logs:ListLogDeliveries", () => "*"],
      ["logs:PutResourcePolicy", () => "*"],
      ["logs:DescribeResourcePolicies", () => "*"],
      ["logs:DescribeLogGroups", () => "*"],
    ],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH"],
    delete: ["apigateway:DELETE", ["logs:DeleteLogDelivery", () => "*"]],
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    arn: (r) => r.state.arn,
    create: ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"],
    read: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
    update: ["cloudwatch:UntagResource"],
    delete: ["cloudwatch:DeleteAlarms"],
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    arn: (r) => `arn:${P}:cloudwatch::${ACCOUNT}:dashboard/${r.inputs.dashboardName}`,
    create: ["cloudwatch:PutDashboard"],
    read: ["cloudwatch:GetDashboard"],
    delete: ["cloudwatch:DeleteDashboards"],
  },
  "aws:sns/topic:Topic": {
    arn: (r) => r.state.arn,
    create: ["sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes"],
    read: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
    delete: ["sns:DeleteTopic"],
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    arn: (r) => r.inputs.topic,
    create: ["sns:Subscribe"],
    read: ["sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"],
    delete: ["sns:Unsubscribe"],
  },
  "aws:sagemaker/model:Model": {
    arn: (r) => r.state.arn,
    create: [
      "sagemaker:CreateModel",
      ["iam:PassRole", (r) => r.inputs.executionRoleArn, passedTo("sagemaker.amazonaws.com")],
      "sagemaker:AddTags",
    ],
    read: ["sagemaker:DescribeModel", "sagemaker:ListTags"],
    delete: ["sagemaker:DeleteModel"],
  },
  "aws:sagemaker/endpointConfiguration:EndpointConfiguration": {
    arn: (r) => r.state.arn,
    create: ["sagemaker:CreateEndpointConfig", "sagemaker:AddTags"],
    read: ["sagemaker:DescribeEndpointConfig", "sagemaker:ListTags"],
    delete: ["sagemaker:DeleteEndpointConfig"],
  },
  // Cloud Control, then SageMaker with the caller's rights (forward access sessions): every
  // permission of the resource schema's handlers (tests/infra/iam-cloud-control.test.ts)
  "aws-native:sagemaker:Endpoint": {
    arn: (r) => r.state.endpointArn,
    create: [
      ["cloudformation:CreateResource", () => "*"],
      ["cloudformation:GetResourceRequestStatus", () => "*"],
      "sagemaker:CreateEndpoint",
      [
        "sagemaker:CreateEndpoint",
        (r) =>
          arn("sagemaker", `endpoint-config/${String(r.inputs.endpointConfigName).toLowerCase()}`),
      ],
      "sagemaker:AddTags",
      "sagemaker:DescribeEndpoint",
    ],
    read: [
      ["cloudformation:GetResource", () => "*"],
      "sagemaker:DescribeEndpoint",
      "sagemaker:ListTags",
    ],
    update: [
      ["cloudformation:UpdateResource", () => "*"],
      ["cloudformation:GetResourceRequestStatus", () => "*"],
      "sagemaker:UpdateEndpoint",
      [
        "sagemaker:UpdateEndpoint",
        (r) =>
          arn("sagemaker", `endpoint-config/${String(r.inputs.endpointConfigName).toLowerCase()}`),
      ],
      "sagemaker:DescribeEndpoint",
      "sagemaker:AddTags",
      "sagemaker:DeleteTags",
    ],
    delete: [
      ["cloudformation:DeleteResource", () => "*"],
      ["cloudformation:GetResourceRequestStatus", () => "*"],
      "sagemaker:DeleteEndpoint",
      "sagemaker:DescribeEndpoint",
    ],
  },
  "aws:codedeploy/application:Application": {
    arn: (r) => r.state.arn,
    create: ["codedeploy:CreateApplication", "codedeploy:TagResource"],
    read: ["codedeploy:GetApplication", "codedeploy:ListTagsForResource"],
    update: ["codedeploy:TagResource", "codedeploy:UntagResource"],
    delete: ["codedeploy:DeleteApplication"],
  },
  "aws:codedeploy/deploymentConfig:DeploymentConfig": {
    arn: (r) => r.state.arn,
    create: ["codedeploy:CreateDeploymentConfig"],
    read: ["codedeploy:GetDeploymentConfig"],
    delete: ["codedeploy:DeleteDeploymentConfig"],
  },
  "aws:codedeploy/deploymentGroup:DeploymentGroup": {
    arn: groupArn,
    create: [
      "codedeploy:CreateDeploymentGroup",
      ["iam:PassRole", (r) => r.inputs.serviceRoleArn, passedTo("codedeploy.amazonaws.com")],
      "codedeploy:TagResource",
    ],
    read: ["codedeploy:GetDeploymentGroup", "codedeploy:ListTagsForResource"],
    update: [
      "codedeploy:UpdateDeploymentGroup",
      ["iam:PassRole", (r) => r.inputs.serviceRoleArn, passedTo("codedeploy.amazonaws.com")],
      "codedeploy:UntagResource",
    ],
    delete: ["codedeploy:DeleteDeploymentGroup"],
  },
  // the deployment: created and updated with the program's credentials, read and deleted locally
  "pulumi-nodejs:dynamic:LambdaDeployment": {
    arn: () => "*",
    create: [],
    read: [],
    delete: [],
    applies: deploymentCalls,
  },
  // the instance-type guard runs in the program and calls no AWS API
  "pulumi-nodejs:dynamic:InstanceTypeGuard": { arn: () => "*", create: [], read: [], delete: [] },
  // the rollout check describes the endpoint it checks (ENDPOINT_ROLLOUT_CHECK_ACTIONS), in up
  // only: it has no read, and deleting it calls nothing
  "pulumi-nodejs:dynamic:EndpointRolloutCheck": {
    arn: (r) => arn("sagemaker", `endpoint/${String(r.inputs.endpointName).toLowerCase()}`),
    create: [...ENDPOINT_ROLLOUT_CHECK_ACTIONS],
    update: [...ENDPOINT_ROLLOUT_CHECK_ACTIONS],
    read: [],
    delete: [],
  },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
    arn: (r) => arn("logs", `log-group:${r.inputs.logGroupName}`),
    create: ["logs:PutMetricFilter"],
    read: ["logs:DescribeMetricFilters"],
    delete: ["logs:DeleteMetricFilter"],
  },
  "aws:appautoscaling/target:Target": {
    arn: () => SCALABLE_TARGET,
    create: [
      ["application-autoscaling:RegisterScalableTarget", () => SCALABLE_TARGET, scaling],
      "application-autoscaling:TagResource",
      // what Application Auto Scaling checks the caller for, on the endpoint it is to scale
      ["sagemaker:DescribeEndpoint", endpointOf],
      // the configuration in use may carry a name SageMaker generated
      [
        "sagemaker:DescribeEndpointConfig",
        () => arn("sagemaker", "endpoint-config/generated-config-2f9c1e"),
      ],
      ["sagemaker:UpdateEndpointWeightsAndCapacities", endpointOf],
      [
        "iam:CreateServiceLinkedRole",
        () =>
          roleArn(
            `aws-service-role/${SAGEMAKER_AUTOSCALING}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
          ),
        () => ({ "iam:AWSServiceName": SAGEMAKER_AUTOSCALING }),
      ],
    ],
    read: [
      ["application-autoscaling:DescribeScalableTargets", () => "*"],
      "application-autoscaling:ListTagsForResource",
    ],
    delete: [["application-autoscaling:DeregisterScalableTarget", () => SCALABLE_TARGET, scaling]],
  },
  "aws:appautoscaling/policy:Policy": {
    arn: () => SCALABLE_TARGET,
    create: [
      ["application-autoscaling:PutScalingPolicy", () => SCALABLE_TARGET, scaling],
      // target tracking makes its alarms with the caller's rights
      ["cloudwatch:DescribeAlarms", trackingAlarm("High")],
      ["cloudwatch:PutMetricAlarm", trackingAlarm("High")],
      ["cloudwatch:PutMetricAlarm", trackingAlarm("Low")],
    ],
    read: [["application-autoscaling:DescribeScalingPolicies", () => "*"]],
    delete: [
      ["application-autoscaling:DeleteScalingPolicy", () => SCALABLE_TARGET, scaling],
      ["cloudwatch:DeleteAlarms", trackingAlarm("High")],
      ["cloudwatch:DeleteAlarms", trackingAlarm("Low")],
    ],
  },
};

/** The invokes a program makes, from their inputs, as the calls they become (none: answered without AWS rights). */
export const INVOKE_CALLS: Record<string, (inputs: Registered["inputs"]) => Call[]> = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => [], // sts:GetCallerIdentity needs no permission
  "aws:index/getRegion:getRegion": () => [],
  "aws:index/getPartition:getPartition": () => [],
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => [
    { action: "ecr:GetAuthorizationToken", resource: "*" },
  ],
  // a pinned model version: the registry listed (ListObjectsV2), then its tarball read
  "aws:s3/getObjects:getObjects": (i) => [
    { action: "s3:ListBucket", resource: `arn:${P}:s3:::${i.bucket}` },
  ],
  "aws:s3/getObject:getObject": (i) => [
    // HeadObject and the download, then the object's tags
    { action: "s3:GetObject", resource: `arn:${P}:s3:::${i.bucket}/${i.key}` },
    { action: "s3:GetObjectTagging", resource: `arn:${P}:s3:::${i.bucket}/${i.key}` },
  ],
};

export type Step = "create" | "read" | "update" | "delete";

/** The calls of the given steps for every resource of a deployment; throws on a type with no entry. */
export function providerCalls(d: Deployment, steps: Step[]): Call[] {
  return d.resources
    .filter((r) => r.custom)
    .flatMap((r) => {
      const life = PROVIDER_CALLS[r.type];
      if (!life) throw new Error(`no call table for ${r.type} (tests/infra/iam-calls.ts)`);
      return steps.flatMap((step) => [
        ...(life[step] ?? []).map((row): Call => {
          const [action, on, context] = typeof row === "string" ? [row, life.arn] : row;
          return { action, resource: on(r, d), ...(context ? { context: context(r, d) } : {}) };
        }),
        ...(life.applies && (step === "create" || step === "update") ? life.applies(r, d) : []),
      ]);
    });
}
