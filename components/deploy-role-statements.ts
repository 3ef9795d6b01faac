/**
 * The IAM statements of GitHubDeployRoles (components/github-deploy-roles.ts), as plain data
 * from a scope: what `pulumi up` of one stack needs, what `pulumi preview` reads, and the
 * permissions boundary of the roles a deploy creates. Each names the narrowest resources AWS
 * lets it: `<project>-<stack>-*` names (Pulumi.yaml's autonaming pattern, the image repository
 * included); tests/infra/iam-*.test.ts check them against AWS's catalogue and
 * against the calls each role makes.
 */
import { ALL_AT_ONCE_CONFIG } from "./lambda-rollout.js";

/** The AWS services whose service-linked roles a deploy may create. */
const SERVICE_LINKED_ROLES = [
  "ops.apigateway.amazonaws.com",
  "sagemaker.application-autoscaling.amazonaws.com",
] as const;

/**
 * What SageMaker does with an endpoint's log group under the endpoint's role; the boundary allows
 * the same on the project's log groups.
 */
export const ENDPOINT_LOG_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:DescribeLogStreams",
  "logs:PutLogEvents",
];

export interface Scope {
  partition: string;
  region: string;
  account: string;
  project: string;
  /** One stack's resources; undefined for all of the project's. */
  stack?: string | undefined;
}

export type Statement = {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

/**
 * ARN patterns of a scope's resources. Names start with `<project>-<stack>-` (autonaming pattern,
 * bucket prefixes, log groups, the endpoint, the image repository).
 */
function arns(scope: Scope) {
  const s = {
    ...scope,
    prefix: scope.stack ? `${scope.project}-${scope.stack}` : scope.project,
  };
  return {
    bucket: `arn:${s.partition}:s3:::${s.prefix}-*`,
    objects: `arn:${s.partition}:s3:::${s.prefix}-*/*`,
    repository: `arn:${s.partition}:ecr:${s.region}:${s.account}:repository/${s.prefix}-*`,
    function: `arn:${s.partition}:lambda:${s.region}:${s.account}:function:${s.prefix}-*`,
    role: `arn:${s.partition}:iam::${s.account}:role/${s.prefix}-*`,
    logGroups: ["lambda", "apigateway", "sagemaker/Endpoints"].flatMap((kind) => [
      `arn:${s.partition}:logs:${s.region}:${s.account}:log-group:/aws/${kind}/${s.prefix}-*`,
      `arn:${s.partition}:logs:${s.region}:${s.account}:log-group:/aws/${kind}/${s.prefix}-*:*`,
    ]),
    sagemaker: ["model", "endpoint-config", "endpoint"].map(
      (kind) => `arn:${s.partition}:sagemaker:${s.region}:${s.account}:${kind}/${s.prefix}-*`,
    ),
    alarms: `arn:${s.partition}:cloudwatch:${s.region}:${s.account}:alarm:${s.prefix}-*`,
    // a group's ARN is `deploymentgroup:<application>/<group>`, the application auto-named
    codedeployApplications: `arn:${s.partition}:codedeploy:${s.region}:${s.account}:application:${s.prefix}-*`,
    codedeployGroups: `arn:${s.partition}:codedeploy:${s.region}:${s.account}:deploymentgroup:${s.prefix}-*`,
    codedeployConfigs: `arn:${s.partition}:codedeploy:${s.region}:${s.account}:deploymentconfig:${s.prefix}-*`,
    allAtOnceConfig: `arn:${s.partition}:codedeploy:${s.region}:${s.account}:deploymentconfig:${ALL_AT_ONCE_CONFIG}`,
    // Application Auto Scaling names a target-tracking policy's alarms
    // `TargetTracking-<resource id>-AlarmHigh|AlarmLow-<uuid>`, the resource id being
    // `endpoint/<endpoint name>/variant/<variant>`; it creates them with the caller's rights
    scalingAlarms: `arn:${s.partition}:cloudwatch:${s.region}:${s.account}:alarm:TargetTracking-endpoint/${s.prefix}-*`,
    // SageMaker may describe configurations under names it generated (during updates), so
    // describing is not scoped by name; creating and deleting are
    endpointConfigs: `arn:${s.partition}:sagemaker:${s.region}:${s.account}:endpoint-config/*`,
    endpoint: `arn:${s.partition}:sagemaker:${s.region}:${s.account}:endpoint/${s.prefix}-*`,
    scalableTargets: `arn:${s.partition}:application-autoscaling:${s.region}:${s.account}:scalable-target/*`,
    serviceLinkedRole: (service: string) =>
      `arn:${s.partition}:iam::${s.account}:role/aws-service-role/${service}/*`,
    dashboard: `arn:${s.partition}:cloudwatch::${s.account}:dashboard/${s.prefix}${s.stack ? "" : "-*"}`,
    topics: `arn:${s.partition}:sns:${s.region}:${s.account}:${s.prefix}-*`,
    apis: [
      `arn:${s.partition}:apigateway:${s.region}::/apis`,
      `arn:${s.partition}:apigateway:${s.region}::/apis/*`,
      `arn:${s.partition}:apigateway:${s.region}::/tags/*`,
    ],
  };
}

/** What `pulumi up` of one stack needs, on that stack's resources only. */
export function deployStatements(s: Scope, boundaryArn: string): Statement[] {
  const a = arns(s);
  const roleActions = [
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:UpdateAssumeRolePolicy",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:DeleteRolePolicy",
  ];
  return [
    { Sid: "ModelBuckets", Effect: "Allow", Action: "s3:*", Resource: [a.bucket, a.objects] },
    { Sid: "ImageRepositories", Effect: "Allow", Action: "ecr:*", Resource: a.repository },
    // the registry login has no resource to scope to
    { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    { Sid: "Functions", Effect: "Allow", Action: "lambda:*", Resource: a.function },
    { Sid: "ManageRoles", Effect: "Allow", Action: roleActions, Resource: a.role },
    {
      // a role may be created or given a policy only with the boundary on it
      Sid: "CreateBoundedRoles",
      Effect: "Allow",
      Action: ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"],
      Resource: a.role,
      Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn } },
    },
    {
      Sid: "KeepBoundaries",
      Effect: "Deny",
      Action: "iam:DeleteRolePermissionsBoundary",
      Resource: a.role,
    },
    {
      Sid: "PassRolesToServices",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: a.role,
      Condition: {
        StringEquals: {
          "iam:PassedToService": [
            "lambda.amazonaws.com",
            "sagemaker.amazonaws.com",
            "codedeploy.amazonaws.com",
          ],
        },
      },
    },
    {
      // API Gateway's access logs and SageMaker's autoscaling use AWS's service-linked roles,
      // which the first RegisterScalableTarget (or access log setting) creates with the caller's
      // rights: only those two, at the path AWS gives them
      Sid: "ServiceLinkedRoles",
      Effect: "Allow",
      Action: "iam:CreateServiceLinkedRole",
      Resource: SERVICE_LINKED_ROLES.map(a.serviceLinkedRole),
      Condition: { StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLES] } },
    },
    { Sid: "LogGroups", Effect: "Allow", Action: "logs:*", Resource: a.logGroups },
    {
      // listing groups and vending access logs to them are account-wide operations
      Sid: "LogDelivery",
      Effect: "Allow",
      Action: [
        "logs:DescribeLogGroups",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
      ],
      Resource: "*",
    },
    {
      // API Gateway authorises by HTTP verb on the resource's path, tagging included (TagResource
      // is POST, UntagResource DELETE, GetTags GET on /tags/<url-encoded ARN>); there is no
      // apigateway:TagResource action
      Sid: "HttpApis",
      Effect: "Allow",
      Action: [
        "apigateway:GET",
        "apigateway:POST",
        "apigateway:PUT",
        "apigateway:PATCH",
        "apigateway:DELETE",
      ],
      Resource: a.apis,
    },
    {
      Sid: "SageMaker",
      Effect: "Allow",
      Action: [
        "sagemaker:CreateModel",
        "sagemaker:DescribeModel",
        "sagemaker:DeleteModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:DeleteEndpointConfig",
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:AddTags",
        "sagemaker:DeleteTags",
        "sagemaker:ListTags",
      ],
      Resource: a.sagemaker,
    },
    {
      Sid: "DescribeEndpointConfigs",
      Effect: "Allow",
      Action: "sagemaker:DescribeEndpointConfig",
      Resource: a.endpointConfigs,
    },
    {
      // Application Auto Scaling checks that the caller itself may scale the variant
      Sid: "ScaleEndpoints",
      Effect: "Allow",
      Action: "sagemaker:UpdateEndpointWeightsAndCapacities",
      Resource: a.endpoint,
    },
    {
      // scalable targets have random ids; the service namespace is what can be pinned
      Sid: "Autoscaling",
      Effect: "Allow",
      Action: [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
      ],
      Resource: a.scalableTargets,
      Condition: { StringEquals: { "application-autoscaling:service-namespace": "sagemaker" } },
    },
    {
      Sid: "AutoscalingTags",
      Effect: "Allow",
      Action: [
        "application-autoscaling:TagResource",
        "application-autoscaling:UntagResource",
        "application-autoscaling:ListTagsForResource",
      ],
      Resource: a.scalableTargets,
    },
    {
      Sid: "ReadAutoscaling",
      Effect: "Allow",
      Action: [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScalingActivities",
      ],
      Resource: "*",
    },
    {
      Sid: "Alarms",
      Effect: "Allow",
      Action: [
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
        "cloudwatch:ListTagsForResource",
      ],
      Resource: a.alarms,
    },
    {
      // the alarms of the endpoint's target-tracking policy, made and removed with our rights
      Sid: "ScalingAlarms",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
      Resource: a.scalingAlarms,
    },
    {
      Sid: "ReadAlarms",
      Effect: "Allow",
      Action: "cloudwatch:DescribeAlarms",
      Resource: "*",
    },
    {
      Sid: "Dashboard",
      Effect: "Allow",
      Action: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
      Resource: a.dashboard,
    },
    { Sid: "AlertTopics", Effect: "Allow", Action: "sns:*", Resource: a.topics },
    {
      // a deployment registers its AppSpec (inline, the alias and the two versions) as a
      // revision of the application, and reads it back
      Sid: "CodeDeployApplications",
      Effect: "Allow",
      Action: [
        "codedeploy:CreateApplication",
        "codedeploy:GetApplication",
        "codedeploy:DeleteApplication",
        "codedeploy:TagResource",
        "codedeploy:UntagResource",
        "codedeploy:ListTagsForResource",
        "codedeploy:RegisterApplicationRevision",
        "codedeploy:GetApplicationRevision",
      ],
      Resource: a.codedeployApplications,
    },
    {
      Sid: "CodeDeployGroups",
      Effect: "Allow",
      Action: [
        "codedeploy:CreateDeploymentGroup",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:UpdateDeploymentGroup",
        "codedeploy:DeleteDeploymentGroup",
        "codedeploy:TagResource",
        "codedeploy:UntagResource",
        "codedeploy:ListTagsForResource",
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        "codedeploy:ListDeployments",
      ],
      Resource: a.codedeployGroups,
    },
    {
      Sid: "CodeDeployConfigs",
      Effect: "Allow",
      Action: [
        "codedeploy:CreateDeploymentConfig",
        "codedeploy:GetDeploymentConfig",
        "codedeploy:DeleteDeploymentConfig",
      ],
      Resource: a.codedeployConfigs,
    },
    {
      // CreateDeployment reads the group's configuration with the caller's rights: all at
      // once, CodeDeploy's own
      Sid: "CodeDeployAllAtOnce",
      Effect: "Allow",
      Action: "codedeploy:GetDeploymentConfig",
      Resource: a.allAtOnceConfig,
    },
    {
      // CodeDeploy has no resource type for these: they name a deployment by its id (`pulumi up`
      // never stops a deployment, so StopDeployment, also without one, is not granted)
      Sid: "WatchDeployments",
      Effect: "Allow",
      Action: ["codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"],
      Resource: "*",
    },
    {
      // the endpoint is an aws-native resource: its provider calls Cloud Control, which has no
      // resource types to scope to and then calls SageMaker with this role's own rights (the
      // SageMaker statement above is what limits it to this stack's endpoint)
      Sid: "CloudControl",
      Effect: "Allow",
      Action: CLOUD_CONTROL,
      Resource: "*",
    },
  ];
}

/** Cloud Control's calls, as the aws-native provider makes them for the endpoint. */
const CLOUD_CONTROL = [
  "cloudformation:CreateResource",
  "cloudformation:GetResource",
  "cloudformation:UpdateResource",
  "cloudformation:DeleteResource",
  "cloudformation:GetResourceRequestStatus",
];

/** What `pulumi preview` needs: reading the project's resources, changing nothing. */
export function previewStatements(s: Scope): Statement[] {
  const a = arns(s);
  return [
    {
      // TrainingImage asks for the registry login in preview too, so the image's inputs are
      // the same as in `up` and a preview shows no change that is not there. The token only
      // carries this role's own ECR rights, which are Describe/Get of metadata: no pull, no push.
      Sid: "RegistryLogin",
      Effect: "Allow",
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    },
    {
      Sid: "ReadProjectResources",
      Effect: "Allow",
      Action: [
        "s3:GetBucket*",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetAccelerateConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetObjectAttributes",
        "s3:GetObjectTagging",
        // a refresh reads the model object (HeadObject); models come from the public Iris data
        "s3:GetObject",
        "s3:ListBucket",
        "ecr:Describe*",
        "ecr:GetLifecyclePolicy",
        "ecr:GetRepositoryPolicy",
        "ecr:ListTagsForResource",
        "lambda:GetFunction*",
        "lambda:GetPolicy",
        "lambda:ListTags",
        "lambda:ListVersionsByFunction",
        "lambda:GetAlias",
        "codedeploy:GetApplication",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:GetDeploymentConfig",
        "codedeploy:ListTagsForResource",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "logs:ListTagsForResource",
        "sagemaker:Describe*",
        "sagemaker:ListTags",
        "cloudwatch:GetDashboard",
        "cloudwatch:ListTagsForResource",
        "sns:GetTopicAttributes",
        "sns:GetSubscriptionAttributes",
        "sns:ListTagsForResource",
      ],
      Resource: [
        a.bucket,
        a.objects,
        a.repository,
        a.function,
        a.role,
        ...a.logGroups,
        ...a.sagemaker,
        a.alarms,
        a.dashboard,
        a.topics,
        a.codedeployApplications,
        a.codedeployGroups,
        a.codedeployConfigs,
      ],
    },
    {
      // a refresh reads the SageMaker endpoint's per-version metric filters from its log group
      Sid: "ReadMetricFilters",
      Effect: "Allow",
      Action: "logs:DescribeMetricFilters",
      Resource: a.logGroups,
    },
    {
      Sid: "ReadAccountWideLists",
      Effect: "Allow",
      Action: [
        "apigateway:GET",
        "logs:DescribeLogGroups",
        "cloudwatch:DescribeAlarms",
        "application-autoscaling:Describe*",
        "application-autoscaling:ListTagsForResource",
        "sns:ListSubscriptionsByTopic",
        // a refresh reads the aws-native endpoint through Cloud Control, which then describes
        // it with this role's own (read-only) SageMaker rights
        "cloudformation:GetResource",
      ],
      Resource: "*",
    },
  ];
}

/**
 * The most a role created by a deploy may do: what the Lambda and SageMaker roles need at run
 * time on the project's resources (read models, pull images, write logs and metrics), and what
 * CodeDeploy's role does in a rollout (move a function's alias, read the guarding alarms).
 */
export function boundaryStatements(s: Scope): Statement[] {
  const a = arns(s);
  return [
    {
      Sid: "ReadModels",
      Effect: "Allow",
      Action: ["s3:GetObject", "kms:Decrypt"],
      Resource: [a.objects, `arn:${s.partition}:kms:${s.region}:${s.account}:key/*`],
    },
    {
      Sid: "PullImages",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: a.repository,
    },
    { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "WriteLogs",
      Effect: "Allow",
      Action: ENDPOINT_LOG_ACTIONS,
      Resource: a.logGroups,
    },
    { Sid: "PutMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
    {
      Sid: "ShiftAliases",
      Effect: "Allow",
      Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
      Resource: a.function,
    },
    { Sid: "ReadAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: a.alarms },
  ];
}
