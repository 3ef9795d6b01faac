/**
 * The HTTP API (API Gateway v2) in front of a LambdaInferenceApi's `live` alias: `POST /predict`
 * and `GET /health` through one AWS_PROXY integration, a throttled `$default` stage with JSON
 * access logs, and the permission for this API, and only it, to invoke the alias. API Gateway
 * never calls the function or a version by itself, so what answers is whatever the alias serves
 * (during a rollout, both versions by CodeDeploy's weights).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The JSON access log line: one object per request. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integrationStatus",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  error: "$context.error.message",
});

export const ROUTES = ["POST /predict", "GET /health"] as const;

/**
 * A CloudWatch log group name prefix: project, stack and component name, so groups of different
 * stacks never mix and a deploy role can be scoped to the project's (docs/ci-cd.md).
 */
export const logPrefix = (name: string) =>
  `${pulumi.getProject()}-${pulumi.getStack()}-${name}`.replace(/[^A-Za-z0-9._/#-]+/g, "-");

export interface HttpApiArgs {
  readonly fn: aws.lambda.Function;
  readonly alias: aws.lambda.Alias;
  readonly corsAllowOrigins?: pulumi.Input<string[]>;
  readonly throttlingBurstLimit: pulumi.Input<number>;
  readonly throttlingRateLimit: pulumi.Input<number>;
  readonly retentionInDays: pulumi.Input<number>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface HttpApi {
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly accessLogs: aws.cloudwatch.LogGroup;
  /** Resolves once the stage serves and API Gateway may invoke the alias. */
  readonly apiUrl: pulumi.Output<string>;
}

/** The children keep the names (and the parent) they always had, so no stack replaces them. */
export function createHttpApi(name: string, args: HttpApiArgs, parent: pulumi.Resource): HttpApi {
  const opts = { parent };
  const accessLogs = new aws.cloudwatch.LogGroup(
    `${name}-access-logs`,
    {
      namePrefix: `/aws/apigateway/${logPrefix(name)}-`,
      retentionInDays: args.retentionInDays,
      tags: args.tags,
    },
    opts,
  );

  const api = new aws.apigatewayv2.Api(
    `${name}-api`,
    {
      protocolType: "HTTP",
      description: `Iris species inference (${name})`,
      corsConfiguration: pulumi.output(args.corsAllowOrigins).apply((origins) =>
        origins && origins.length > 0
          ? {
              allowOrigins: origins,
              allowMethods: ["GET", "POST", "OPTIONS"],
              allowHeaders: ["content-type"],
              // the browser lets the page read which model answered
              exposeHeaders: ["x-model-version"],
              maxAge: 3600,
            }
          : undefined,
      ),
      tags: args.tags,
    },
    opts,
  );

  // on the alias only: API Gateway cannot invoke the function or a version by itself
  const permission = new aws.lambda.Permission(
    `${name}-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: args.fn.name,
      qualifier: args.alias.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
    },
    opts,
  );

  const integration = new aws.apigatewayv2.Integration(
    `${name}-integration`,
    {
      apiId: api.id,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: args.alias.arn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 30000,
    },
    // API Gateway calls the alias only once it may
    { parent, dependsOn: [permission] },
  );

  const routes = ROUTES.map(
    (routeKey) =>
      new aws.apigatewayv2.Route(
        `${name}-route-${routeKey.split("/")[1]}`,
        {
          apiId: api.id,
          routeKey,
          target: pulumi.interpolate`integrations/${integration.id}`,
        },
        opts,
      ),
  );

  const stage = new aws.apigatewayv2.Stage(
    `${name}-stage`,
    {
      apiId: api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingBurstLimit: args.throttlingBurstLimit,
        throttlingRateLimit: args.throttlingRateLimit,
      },
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      tags: args.tags,
    },
    { parent, dependsOn: routes },
  );

  // the URL is only useful once the stage serves it and API Gateway may call the alias
  const apiUrl = pulumi
    .all([api.apiEndpoint, stage.id, permission.id])
    .apply(([endpoint]) => endpoint);
  return { api, stage, accessLogs, apiUrl };
}
