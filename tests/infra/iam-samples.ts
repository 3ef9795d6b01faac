/**
 * The calls the runtime roles make (the Lambda's and the SageMaker endpoint's), and a sample of
 * calls each role must be refused: other stacks, other accounts, other services, escalation.
 */

import { ACCOUNT, REGION, type Registered } from "./harness.js";
import type { Call } from "./iam-calls.js";

const OTHER_ACCOUNT = "210987654321";
const logStream = (group: string, stream: string) =>
  `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:${stream}`;
const s3Object = (uri: string) => `arn:aws:s3:::${uri.replace(/^s3:\/\//, "")}`;
/** The stable version a role still reads while a new one takes part of the traffic. */
const STABLE_VERSION = "0123456789abcdef";
/** Reading the model a role serves, and another version of its bucket's registry. */
function modelReads(uri: string): Call[] {
  const served = s3Object(uri);
  const bucket = served.slice(0, served.indexOf("/models/"));
  return [
    { action: "s3:GetObject", resource: served },
    { action: "s3:GetObject", resource: `${bucket}/models/${STABLE_VERSION}/model.tar.gz` },
  ];
}

/** Objects of a role's own bucket outside the registry (`models/`): refused to it. */
export function outsideRegistry(calls: readonly Call[]): Call[] {
  const served = calls.find((c) => c.action === "s3:GetObject")?.resource ?? "";
  const bucket = served.slice(0, served.indexOf("/models/"));
  return ["notes/secret.txt", "model.tar.gz", "models-old/x/model.tar.gz", "models"].map((key) => ({
    action: "s3:GetObject",
    resource: `${bucket}/${key}`,
  }));
}
const repositoryOfImage = (image: string) =>
  `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${image.replace(/^[^/]+\//, "").split("@")[0]}`;

/** What the Lambda function's role does while serving: read the models, write its logs. */
export function lambdaRuntimeCalls(fn: Registered): Call[] {
  const env = fn.inputs.environment.variables as Record<string, string>;
  const stream = logStream(fn.inputs.loggingConfig.logGroup, "2026/12/01/[$LATEST]0123abcd");
  return [
    ...modelReads(`${env.MODEL_BUCKET}/${env.MODEL_KEY}`),
    { action: "logs:CreateLogStream", resource: stream },
    { action: "logs:PutLogEvents", resource: stream },
  ];
}

/** What SageMaker does with the model's role: pull the image, read the models, log, metrics. */
export function sagemakerRuntimeCalls(model: Registered, endpointName: string): Call[] {
  const container = model.inputs.primaryContainer as { image: string; modelDataUrl: string };
  const repository = repositoryOfImage(container.image);
  const group = `/aws/sagemaker/Endpoints/${endpointName}`;
  const stream = logStream(group, "AllTraffic/i-0123456789abcdef0");
  return [
    { action: "ecr:GetAuthorizationToken", resource: "*" },
    { action: "ecr:BatchGetImage", resource: repository },
    { action: "ecr:GetDownloadUrlForLayer", resource: repository },
    ...modelReads(container.modelDataUrl),
    {
      action: "logs:CreateLogGroup",
      resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:*`,
    },
    {
      action: "logs:DescribeLogStreams",
      resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:*`,
    },
    { action: "logs:CreateLogStream", resource: stream },
    { action: "logs:PutLogEvents", resource: stream },
    {
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" },
    },
  ];
}

/**
 * What CodeDeploy does with a deployment group's role in a rollout of the function behind the
 * group's `live` alias: read and move the alias (on the function's ARN or the alias's, whichever
 * Lambda authorises), read the target version's provisioned concurrency, poll the group's alarms
 * while they guard it.
 */
export function codedeployRuntimeCalls(
  group: Registered,
  resources: readonly Registered[],
): Call[] {
  const deployment = resources.find(
    (r) =>
      r.type === "pulumi-nodejs:dynamic:LambdaDeployment" &&
      r.inputs.deploymentGroupName === group.inputs.deploymentGroupName,
  ) as Registered;
  const fn = resources.find(
    (r) =>
      r.type === "aws:lambda/function:Function" && r.state.name === deployment.inputs.functionName,
  ) as Registered;
  const alias = `${fn.state.arn}:${deployment.inputs.aliasName}`;
  const alarms = group.inputs.alarmConfiguration;
  return [
    ...["lambda:GetAlias", "lambda:UpdateAlias"].flatMap((action) => [
      { action, resource: fn.state.arn },
      { action, resource: alias },
    ]),
    {
      action: "lambda:GetProvisionedConcurrencyConfig",
      resource: `${fn.state.arn}:${fn.state.version}`,
    },
    ...(alarms?.enabled ? (alarms.alarms as string[]) : []).map((name) => ({
      action: "cloudwatch:DescribeAlarms",
      resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    })),
  ];
}

/** Calls no role of stack `stack` may make, whatever it is for. */
export function deniedToEveryone(stack: string, other: string): Call[] {
  const o = `iris-mlops-${other}`;
  return [
    { action: "iam:CreateUser", resource: `arn:aws:iam::${ACCOUNT}:user/intruder` },
    { action: "iam:CreateAccessKey", resource: `arn:aws:iam::${ACCOUNT}:user/intruder` },
    {
      action: "iam:AttachRolePolicy",
      resource: `arn:aws:iam::${ACCOUNT}:role/iris-mlops-${stack}-api-role-0000000`,
      context: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" },
    },
    { action: "s3:GetObject", resource: `arn:aws:s3:::someone-elses-bucket/secret.txt` },
    { action: "s3:PutObject", resource: `arn:aws:s3:::${o}-models-0000000/models/x/model.tar.gz` },
    { action: "s3:DeleteBucket", resource: `arn:aws:s3:::${o}-models-0000000` },
    {
      action: "lambda:UpdateFunctionCode",
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${o}-api-function-0000000`,
    },
    {
      action: "lambda:InvokeFunction",
      resource: `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:iris-mlops-${stack}-api-function-0000000`,
    },
    {
      action: "ecr:PutImage",
      resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/${other}/image`,
    },
    {
      action: "sagemaker:DeleteEndpoint",
      resource: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${o}-sagemaker`,
    },
    {
      action: "sagemaker:UpdateEndpointWeightsAndCapacities",
      resource: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${o}-sagemaker`,
    },
    {
      action: "cloudwatch:PutMetricAlarm",
      resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:TargetTracking-endpoint/${o}-sagemaker/variant/AllTraffic-AlarmHigh-x`,
    },
    {
      action: "cloudwatch:DeleteAlarms",
      resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${o}-api-errors-alarm-0000000`,
    },
    { action: "sns:Publish", resource: `arn:aws:sns:${REGION}:${ACCOUNT}:${o}-alerts-0000000` },
    {
      action: "lambda:UpdateAlias",
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${o}-api-function-0000000:live`,
    },
    {
      action: "codedeploy:CreateDeployment",
      resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${o}-api-codedeploy-0000000/api-live`,
    },
    {
      action: "codedeploy:DeleteDeploymentConfig",
      resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:${o}-api-canary-10pct-10min`,
    },
    {
      action: "logs:DeleteLogGroup",
      resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${o}-api-0000000:*`,
    },
    { action: "ec2:RunInstances", resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*` },
    {
      action: "kms:Decrypt",
      resource: `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    },
  ];
}

/** Reading another stack's data: refused to the roles of one stack (the preview role reads all). */
export const deniedReadsOfOtherStacks = (other: string): Call[] => [
  {
    action: "s3:GetObject",
    resource: `arn:aws:s3:::iris-mlops-${other}-models-0000000/models/x/model.tar.gz`,
  },
  {
    action: "lambda:GetFunction",
    resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:iris-mlops-${other}-api-function-0000000`,
  },
];

/** What the deploy role of `stack` must be refused although it manages the stack's IAM. */
export function deniedToDeployRole(stack: string, boundaryArn: string): Call[] {
  const role = `arn:aws:iam::${ACCOUNT}:role/iris-mlops-${stack}-api-role-0000000`;
  return [
    { action: "iam:CreateRole", resource: role }, // without the boundary
    {
      action: "iam:CreateRole",
      resource: role,
      context: { "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/AnotherBoundary` },
    },
    { action: "iam:PutRolePolicy", resource: role },
    { action: "iam:DeleteRolePermissionsBoundary", resource: role },
    {
      action: "iam:CreateRole",
      resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
      context: { "iam:PermissionsBoundary": boundaryArn },
    },
    {
      action: "iam:PassRole",
      resource: role,
      context: { "iam:PassedToService": "ec2.amazonaws.com" },
    },
    // CodeDeploy's own configurations are not the deploy's to change
    {
      action: "codedeploy:DeleteDeploymentConfig",
      resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:CodeDeployDefault.LambdaAllAtOnce`,
    },
    {
      action: "iam:CreateServiceLinkedRole",
      resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      context: { "iam:AWSServiceName": "ecs.amazonaws.com" },
    },
    {
      action: "application-autoscaling:RegisterScalableTarget",
      resource: `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0a1b`,
      context: { "application-autoscaling:service-namespace": "ecs" },
    },
    { action: "apigateway:TagResource", resource: `arn:aws:apigateway:${REGION}::/tags/x` },
  ];
}

/** What the read-only preview role must be refused: every write, and pulling images. */
export function deniedToPreviewRole(stack: string): Call[] {
  const p = `iris-mlops-${stack}`;
  return [
    {
      action: "ecr:BatchGetImage",
      resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/${stack}/image`,
    },
    {
      action: "ecr:PutImage",
      resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/${stack}/image`,
    },
    { action: "s3:PutObject", resource: `arn:aws:s3:::${p}-models-0000000/models/x/model.tar.gz` },
    { action: "s3:DeleteBucket", resource: `arn:aws:s3:::${p}-models-0000000` },
    {
      action: "lambda:UpdateFunctionCode",
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${p}-api-function-0000000`,
    },
    { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/${p}-api-role-0000000` },
    { action: "iam:PutRolePolicy", resource: `arn:aws:iam::${ACCOUNT}:role/${p}-api-role-0000000` },
    {
      action: "sagemaker:CreateEndpoint",
      resource: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${p}-sagemaker`,
    },
    { action: "apigateway:POST", resource: `arn:aws:apigateway:${REGION}::/apis` },
    {
      action: "cloudwatch:PutMetricAlarm",
      resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${p}-api-errors-alarm-0000000`,
    },
    {
      action: "codedeploy:CreateDeployment",
      resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${p}-api-codedeploy-0000000/api-live`,
    },
    {
      action: "lambda:UpdateAlias",
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${p}-api-function-0000000:live`,
    },
  ];
}
