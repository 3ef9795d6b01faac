/**
 * The HTTP API (API Gateway v2) in front of a LambdaInferenceApi's `live` alias: `POST /predict`,
 * `GET /health`, the page `GET /` and `GET /openapi.json` through one AWS_PROXY integration, a
 * throttled `$default` stage with JSON access logs, and the permission for this API, and only it,
 * to invoke the alias. API Gateway never calls the function or a version by itself, so what
 * answers is whatever the alias serves (during a rollout, both versions by CodeDeploy's weights).
 * Under `iam` or `jwt` auth the protected routes need a signature or a token (api-auth.ts); the
 * public ones never do.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LAMBDA_ROUTES, routeKey } from "../serving/routes.js";
import {
  type ApiAuth,
  authModeOf,
  CORS_ALLOW_HEADERS,
  checkIssuer,
  JWT_IDENTITY_SOURCE,
} from "./api-auth.js";

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

/**
 * Every route, from the catalogue (serving/routes.ts): its child's name (`<name>-route-<child>`: predict and health keep the names they
 * always had, so no stack replaces them) and who may call it. `GET /` and `GET /openapi.json` are
 * public in every mode: the page must load in a browser that holds no credentials (it then asks
 * for a token, or says how to sign), and the document describes how to call the rest.
 * `GET /health` is protected with `POST /predict`: it answers with the model version and how it
 * was verified, which is for callers, and a monitor that may call the API may sign or hold a token
 * like any caller; public routes also invoke the function, so every one more is load anyone can
 * put on the shared throttle.
 */
export const ROUTE_TABLE = LAMBDA_ROUTES.map(({ lambda, ...route }) => ({
  routeKey: routeKey(route),
  child: lambda.child,
  access: lambda.access,
}));

export const ROUTES = ROUTE_TABLE.map((r) => r.routeKey);
/** The routes `iam` and `jwt` protect; under `none` they are open like the rest. */
export const PROTECTED_ROUTES = ROUTE_TABLE.filter((r) => r.access === "protected").map(
  (r) => r.routeKey,
);

/** The stage every route is served on: `<apiUrl>/predict`, no stage in the path. */
export const STAGE_NAME = "$default";

/**
 * The `execute-api:Invoke` resource of each protected route:
 * `arn:<partition>:execute-api:<region>:<account>:<apiId>/$default/<METHOD><path>` (the API's
 * executionArn is everything up to the API id).
 */
export const invokeArnsFor = (executionArn: pulumi.Input<string>) =>
  pulumi.output(executionArn).apply((base) =>
    PROTECTED_ROUTES.map((routeKey) => {
      const [method, path] = routeKey.split(" ");
      return `${base}/${STAGE_NAME}/${method}${path}`;
    }),
  );

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
  readonly auth: ApiAuth;
  readonly throttlingBurstLimit: pulumi.Input<number>;
  readonly throttlingRateLimit: pulumi.Input<number>;
  readonly retentionInDays: pulumi.Input<number>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface HttpApi {
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly accessLogs: aws.cloudwatch.LogGroup;
  /** The JWT authorizer; only under `jwt`. */
  readonly authorizer?: aws.apigatewayv2.Authorizer;
  /** Resolves once the stage serves and API Gateway may invoke the alias. */
  readonly apiUrl: pulumi.Output<string>;
}

/** The children keep the names (and the parent) they always had, so no stack replaces them. */
export function createHttpApi(name: string, args: HttpApiArgs, parent: pulumi.Resource): HttpApi {
  const opts = { parent };
  const mode = authModeOf(args.auth);
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
              // a signed or token-carrying request names its credential headers in the preflight
              allowHeaders: [...CORS_ALLOW_HEADERS[mode]],
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

  const jwt = typeof args.auth === "object" ? args.auth : undefined;
  const authorizer = jwt
    ? new aws.apigatewayv2.Authorizer(
        `${name}-authorizer`,
        {
          apiId: api.id,
          authorizerType: "JWT",
          identitySources: [JWT_IDENTITY_SOURCE],
          jwtConfiguration: {
            issuer: pulumi.output(jwt.issuer).apply((i) => checkIssuer("LambdaInferenceApi", i)),
            audiences: jwt.audience,
          },
        },
        opts,
      )
    : undefined;

  // No OPTIONS route, and none needed under iam or jwt: a preflight carries no credentials, and
  // with a corsConfiguration API Gateway answers every preflight itself, before any route or
  // authorizer, "even if there isn't an OPTIONS route configured" (AWS, "Configure CORS for HTTP
  // APIs"); only a $default or ANY route would catch OPTIONS and need an unauthorised OPTIONS
  // route beside it, and this API has neither. Without CORS origins no browser calls cross-origin.
  const routes = ROUTE_TABLE.map(({ routeKey, child, access }) => {
    const open = access === "public" || mode === "none";
    return new aws.apigatewayv2.Route(
      `${name}-route-${child}`,
      {
        apiId: api.id,
        routeKey,
        target: pulumi.interpolate`integrations/${integration.id}`,
        authorizationType: open ? "NONE" : mode === "iam" ? "AWS_IAM" : "JWT",
        authorizerId: !open && authorizer ? authorizer.id : undefined,
      },
      opts,
    );
  });

  const stage = new aws.apigatewayv2.Stage(
    `${name}-stage`,
    {
      apiId: api.id,
      name: STAGE_NAME,
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
  return { api, stage, accessLogs, authorizer, apiUrl };
}
