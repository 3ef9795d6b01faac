/**
 * LambdaInferenceApi: the handler bundled with esbuild into a Node 22 Lambda function that reads
 * the model from S3 once per execution environment, behind an HTTP API (API Gateway v2) with
 * `POST /predict` and `GET /health`, throttled, with JSON access logs. The function's role may read
 * the models under its bucket's `models/` prefix (the registry: during a rollout the stable
 * version serves beside the new one) and write exactly its own log group, nothing else.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmArgs, createAlarm, errorRateQueries } from "./alarms.js";
import { type Bundle, bundleHandler } from "./bundle.js";
import { modelReadStatements, registryObjectsArn } from "./model-registry.js";
import { defaultHandlerEntry } from "./paths.js";
import { type RoleArgs, serviceRole } from "./service-role.js";
import { checkInteger, checkOneOf, LOG_RETENTION_DAYS } from "./validate.js";

export type LambdaArchitecture = "arm64" | "x86_64";

/**
 * Alarms (`alarms`, default true): function errors, throttles, p99 duration near the timeout, API
 * 5xx and 4xx rates.
 */
export interface LambdaInferenceApiArgs extends AlarmArgs, RoleArgs {
  /** Name of the bucket holding the model (ModelBucket.bucketName). Required. */
  readonly modelBucketName: pulumi.Input<string>;
  /** Key of the model.tar.gz in that bucket, under `models/` (ModelBucket.modelKey). Required. */
  readonly modelKey: pulumi.Input<string>;
  /** sha256 (hex) of the model.tar.gz, which the handler checks its download against (ModelBucket.modelSha256). Required. */
  readonly modelSha256: pulumi.Input<string>;
  /** KMS key encrypting the model bucket, if any (ModelBucket.kmsKeyArn): adds kms:Decrypt on it. Default: none. */
  readonly modelKmsKeyArn?: pulumi.Input<string | undefined>;
  /** The handler's entry file, exporting `handler`. Default `<package root>/handlers/lambda.ts` (in an installed package, `dist/handlers/lambda.js`). */
  readonly handlerEntry?: pulumi.Input<string>;
  /** Ship an external source map and run with `NODE_OPTIONS=--enable-source-maps`, for readable stack traces. Default true. */
  readonly sourceMap?: pulumi.Input<boolean>;
  /** Modules left out of the bundle, e.g. `@aws-sdk/*` to use the runtime's own copy. Default: none (the bundle pins every dependency). */
  readonly externalModules?: pulumi.Input<string[]>;
  /** Memory in MB (CPU grows with it). Default 512. */
  readonly memorySize?: pulumi.Input<number>;
  /** Timeout of one invocation in seconds (model loading happens in the init phase, outside it). Default 10. */
  readonly timeout?: pulumi.Input<number>;
  /**
   * Instruction set. Default "arm64": Graviton is about 20% cheaper per GB-second than x86_64 and
   * the bundle is plain JavaScript with no native modules, so it runs the same on both.
   */
  readonly architecture?: pulumi.Input<LambdaArchitecture>;
  /** Concurrent executions reserved for (and capping) the function. Default: none, the account's unreserved pool. */
  readonly reservedConcurrentExecutions?: pulumi.Input<number>;
  /** Days the function's and the API's access logs are kept. Default 14. */
  readonly logRetentionInDays?: pulumi.Input<number>;
  /** Requests the API accepts in a burst. Default 100. */
  readonly throttlingBurstLimit?: pulumi.Input<number>;
  /** Steady requests per second the API accepts. Default 50. */
  readonly throttlingRateLimit?: pulumi.Input<number>;
  /** Origins allowed by CORS (e.g. `https://app.example.com`). Default: none, and no CORS configuration at all. */
  readonly corsAllowOrigins?: pulumi.Input<string[]>;
  /** Percentage of requests answered 5xx in 5 minutes that fires the server-error alarm. Default 1. */
  readonly serverErrorRateThreshold?: pulumi.Input<number>;
  /** Percentage of requests answered 4xx in 5 minutes (with at least 20 requests) that fires the client-error alarm. Default 20. */
  readonly clientErrorRateThreshold?: pulumi.Input<number>;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The alarms a LambdaInferenceApi creates, by what they watch. */
export interface LambdaInferenceApiAlarms {
  readonly errors: aws.cloudwatch.MetricAlarm;
  readonly throttles: aws.cloudwatch.MetricAlarm;
  readonly duration: aws.cloudwatch.MetricAlarm;
  readonly serverErrors: aws.cloudwatch.MetricAlarm;
  readonly clientErrors: aws.cloudwatch.MetricAlarm;
}

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
const logPrefix = (name: string) =>
  `${pulumi.getProject()}-${pulumi.getStack()}-${name}`.replace(/[^A-Za-z0-9._/#-]+/g, "-");

export class LambdaInferenceApi extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly function: aws.lambda.Function;
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  /** Base URL of the API (`POST <apiUrl>/predict`, `GET <apiUrl>/health`); resolves once the stage exists. */
  readonly apiUrl: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;
  /** The function's log group. */
  readonly logGroupName: pulumi.Output<string>;
  /** The API's access log group. */
  readonly accessLogGroupName: pulumi.Output<string>;
  /** Base64 sha256 of the bundle: the function's sourceCodeHash. */
  readonly bundleHash: pulumi.Output<string>;
  /** The API's id, for metrics (AWS/ApiGateway, dimension ApiId). */
  readonly apiId: pulumi.Output<string>;
  /** Undefined when `alarms` is false. */
  readonly alarms?: LambdaInferenceApiAlarms;

  constructor(name: string, args: LambdaInferenceApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:LambdaInferenceApi", name, args, opts);
    const c = "LambdaInferenceApi";
    checkInteger(c, "memorySize", args.memorySize, 128, 10240);
    checkInteger(c, "timeout", args.timeout, 1, 900);
    checkOneOf(c, "architecture", args.architecture, ["arm64", "x86_64"]);
    checkInteger(c, "reservedConcurrentExecutions", args.reservedConcurrentExecutions, 0, 100000);
    checkOneOf(c, "logRetentionInDays", args.logRetentionInDays, LOG_RETENTION_DAYS);
    checkInteger(c, "throttlingBurstLimit", args.throttlingBurstLimit, 0, 5000);
    checkInteger(c, "throttlingRateLimit", args.throttlingRateLimit, 0, 10000);

    const parent = { parent: this };
    const retentionInDays = args.logRetentionInDays ?? 14;
    const sourceMap = pulumi.output(args.sourceMap ?? true);
    const bundle: pulumi.Output<Bundle> = pulumi
      .all([args.handlerEntry ?? defaultHandlerEntry(), sourceMap, args.externalModules ?? []])
      .apply(([entry, withMap, external]) =>
        bundleHandler(entry, { sourceMap: withMap, external }),
      );
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
    this.role = role;

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        runtime: "nodejs22.x",
        handler: "index.handler",
        architectures: [pulumi.output(args.architecture ?? "arm64")],
        code: bundle.apply(
          (b) =>
            new pulumi.asset.AssetArchive({
              "index.js": new pulumi.asset.StringAsset(b.code),
              ...(b.sourceMap === undefined
                ? {}
                : { "index.js.map": new pulumi.asset.StringAsset(b.sourceMap) }),
            }),
        ),
        sourceCodeHash: bundle.hash,
        role: this.role.arn,
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
      { parent: this, dependsOn: [policy] },
    );

    const accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { namePrefix: `/aws/apigateway/${logPrefix(name)}-`, retentionInDays, tags: args.tags },
      parent,
    );

    this.api = new aws.apigatewayv2.Api(
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
      parent,
    );

    const integration = new aws.apigatewayv2.Integration(
      `${name}-integration`,
      {
        apiId: this.api.id,
        integrationType: "AWS_PROXY",
        integrationMethod: "POST",
        integrationUri: this.function.arn,
        payloadFormatVersion: "2.0",
        timeoutMilliseconds: 30000,
      },
      parent,
    );

    const routes = ROUTES.map(
      (routeKey) =>
        new aws.apigatewayv2.Route(
          `${name}-route-${routeKey.split("/")[1]}`,
          {
            apiId: this.api.id,
            routeKey,
            target: pulumi.interpolate`integrations/${integration.id}`,
          },
          parent,
        ),
    );

    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingBurstLimit: args.throttlingBurstLimit ?? 100,
          throttlingRateLimit: args.throttlingRateLimit ?? 50,
        },
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        tags: args.tags,
      },
      { parent: this, dependsOn: routes },
    );

    const permission = new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: this.function.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/*`,
      },
      parent,
    );

    // the URL is only useful once the stage serves it and API Gateway may call the function
    this.apiUrl = pulumi
      .all([this.api.apiEndpoint, this.stage.id, permission.id])
      .apply(([endpoint]) => endpoint);
    this.functionName = this.function.name;
    this.functionArn = this.function.arn;
    this.logGroupName = logGroup.name;
    this.accessLogGroupName = accessLogs.name;
    this.bundleHash = bundle.hash;
    this.apiId = this.api.id;

    if (args.alarms ?? true) {
      this.alarms = this.createAlarms(name, args);
    }

    this.registerOutputs({
      apiUrl: this.apiUrl,
      functionName: this.functionName,
      functionArn: this.functionArn,
      logGroupName: this.logGroupName,
      accessLogGroupName: this.accessLogGroupName,
      apiId: this.apiId,
    });
  }

  private createAlarms(name: string, args: LambdaInferenceApiArgs): LambdaInferenceApiAlarms {
    const targets = { actions: args.alarmActions, tags: args.tags };
    const opts = { parent: this };
    const fn = { FunctionName: this.function.name };
    const api = { ApiId: this.api.id };
    const apiMetric = (id: string, metricName: string) => ({
      id,
      metric: {
        namespace: "AWS/ApiGateway",
        metricName,
        dimensions: api,
        period: 300,
        stat: "Sum",
      },
    });
    return {
      errors: createAlarm(
        `${name}-errors-alarm`,
        {
          description:
            "The function failed (threw, timed out or could not start). The handler answers bad input with a 4xx and never throws, so this is a bug, a timeout or an init failure.",
          threshold: 1,
          metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: fn },
        },
        targets,
        opts,
      ),
      throttles: createAlarm(
        `${name}-throttles-alarm`,
        {
          description:
            "Lambda refused invocations for lack of concurrency: callers got 429s or 5xx. Raise the reserved concurrency or the account limit.",
          threshold: 1,
          metric: { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: fn },
        },
        targets,
        opts,
      ),
      duration: createAlarm(
        `${name}-duration-alarm`,
        {
          description:
            "The p99 invocation time is above 80% of the function's timeout: requests are about to time out.",
          threshold: pulumi.output(args.timeout ?? 10).apply((seconds) => seconds * 1000 * 0.8),
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          metric: {
            namespace: "AWS/Lambda",
            metricName: "Duration",
            dimensions: fn,
            extendedStatistic: "p99",
          },
        },
        targets,
        opts,
      ),
      serverErrors: createAlarm(
        `${name}-5xx-alarm`,
        {
          description:
            "More than the threshold percentage of API requests were answered 5xx in 5 minutes: the model could not load, the function failed, or API Gateway could not reach it.",
          threshold: args.serverErrorRateThreshold ?? 1,
          queries: errorRateQueries(apiMetric, "Count", "5xx", 1, "5xx (% of requests)"),
        },
        targets,
        opts,
      ),
      clientErrors: createAlarm(
        `${name}-4xx-alarm`,
        {
          description:
            "More than the threshold percentage of API requests (at least 20) were answered 4xx in 5 minutes: a client sends bad input, calls a wrong route, or is throttled.",
          threshold: args.clientErrorRateThreshold ?? 20,
          queries: errorRateQueries(apiMetric, "Count", "4xx", 20, "4xx (% of requests)"),
        },
        targets,
        opts,
      ),
    };
  }
}
