/**
 * LambdaInferenceApi: the handler bundled with esbuild into a Node 22 Lambda function that reads
 * the model from S3 once per execution environment, behind an HTTP API (API Gateway v2) with
 * `POST /predict` and `GET /health`, throttled, with JSON access logs. The function is published
 * as numbered versions and API Gateway invokes its `live` alias, which CodeDeploy moves to each
 * new version gradually and back on alarm (components/lambda-rollout.ts). The function's role may
 * read the models under its bucket's `models/` prefix (the registry: during a rollout the stable
 * version serves beside the new one) and write exactly its own log group, nothing else. Access
 * (`auth`): open, SigV4 with `execute-api:Invoke` (grantInvoke), or a JWT; the page and the
 * OpenAPI document stay public (components/api-auth.ts, lambda-http-api.ts; the function and its
 * role: lambda-function.ts).
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ApiAuth, type ApiAuthMode, authModeOf, checkAuth } from "./api-auth.js";
import { grantInvokePolicy, logicalNameOf } from "./grant-invoke.js";
import {
  createLambdaApiAlarms,
  GUARD_ALARMS,
  type LambdaInferenceApiAlarms,
} from "./lambda-api-alarms.js";
import {
  type ApiErrorClass,
  type AppMetricOptions,
  type FunctionMetricOptions,
  type LambdaApiMetrics,
  lambdaApiMetrics,
} from "./lambda-api-metrics.js";
import { createInferenceFunction } from "./lambda-function.js";
import {
  ACCESS_LOG_FORMAT,
  createHttpApi,
  invokeArnsFor,
  PROTECTED_ROUTES,
  ROUTES,
} from "./lambda-http-api.js";
import type { LambdaInferenceApiArgs } from "./lambda-inference-api-args.js";
import {
  checkRollout,
  createLambdaRollout,
  createLiveAlias,
  type RolloutType,
} from "./lambda-rollout.js";
import type { MetricOptions } from "./metric.js";
import { checkInteger, checkOneOf, LOG_RETENTION_DAYS } from "./validate.js";

export type {
  LambdaArchitecture,
  LambdaInferenceApiArgs,
} from "./lambda-inference-api-args.js";
export type { ApiAuth, ApiAuthMode, LambdaInferenceApiAlarms, RolloutType };
export { ACCESS_LOG_FORMAT, PROTECTED_ROUTES, ROUTES };
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
  /** The alias API Gateway invokes, `live`: CodeDeploy moves it between versions. */
  readonly alias: aws.lambda.Alias;
  readonly aliasName: pulumi.Output<string>;
  readonly aliasArn: pulumi.Output<string>;
  /** The newest published version: the one this deployment rolls the alias out to. */
  readonly functionVersion: pulumi.Output<string>;
  /** CodeDeploy's deployment group, whose deployments move the alias. */
  readonly deploymentGroupName: pulumi.Output<string>;
  /** Where this deployment's rollout ended: "Succeeded", or "Unchanged" when the alias already served the version. */
  readonly rolloutStatus: pulumi.Output<string>;
  /** Undefined when `alarms` is false. */
  readonly alarms?: LambdaInferenceApiAlarms;
  /** The `auth` mode: none, iam or jwt. */
  readonly authMode: ApiAuthMode;
  /** The JWT authorizer; only under `jwt`. */
  readonly authorizer?: aws.apigatewayv2.Authorizer;
  /** The `execute-api:Invoke` ARN of each protected route, as grantInvoke grants them. */
  readonly invokeArns: pulumi.Output<string[]>;
  private readonly componentName: string;

  // CloudWatch metrics for alarms and dashboards of your own (components/lambda-api-metrics.ts):
  // period 300 s, Sum for counts and p99 for durations unless `{ period, statistic, label }` say else
  private readonly metrics: LambdaApiMetrics;
  /** Any AWS/Lambda metric of the function; `scope` narrows function metrics to the alias or a version. */
  readonly metricFunction = (name: string, o?: FunctionMetricOptions) =>
    this.metrics.function(name, o);
  readonly metricInvocations = (o?: FunctionMetricOptions) => this.metrics.invocations(o);
  readonly metricFunctionErrors = (o?: FunctionMetricOptions) => this.metrics.functionErrors(o);
  readonly metricThrottles = (o?: FunctionMetricOptions) => this.metrics.throttles(o);
  readonly metricDuration = (o?: FunctionMetricOptions) => this.metrics.duration(o);
  /** Any AWS/ApiGateway metric of the HTTP API, by ApiId. */
  readonly metricApi = (name: string, o?: MetricOptions) => this.metrics.api(name, o);
  readonly metricRequests = (o?: MetricOptions) => this.metrics.requests(o);
  readonly metricErrors = (kind: ApiErrorClass, o?: MetricOptions) => this.metrics.errors(kind, o);
  readonly metricLatency = (o?: MetricOptions) => this.metrics.latency(o);
  readonly metricIntegrationLatency = (o?: MetricOptions) => this.metrics.integrationLatency(o);
  /** Any of the handler's EMF metrics (namespace IrisMlops, by service and function_name). */
  readonly metricApp = (name: string, o?: AppMetricOptions) => this.metrics.app(name, o);
  readonly metricPredictions = (o?: AppMetricOptions) => this.metrics.predictions(o);
  readonly metricPredicted = (species: string, o?: AppMetricOptions) =>
    this.metrics.predicted(species, o);
  readonly metricNotIris = (o?: AppMetricOptions) => this.metrics.notIris(o);
  readonly metricColdStarts = (o?: AppMetricOptions) => this.metrics.coldStarts(o);
  readonly metricHandlerErrors = (errorCode?: string, o?: AppMetricOptions) =>
    this.metrics.handlerErrors(errorCode, o);
  readonly metricHandlerLatency = (o?: AppMetricOptions) => this.metrics.handlerLatency(o);

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
    const auth = args.auth ?? "none";
    checkAuth(c, auth);
    this.authMode = authModeOf(auth);
    this.componentName = name;
    const rollout = checkRollout(
      c,
      args,
      (args.alarms ?? true) || (args.rolloutAlarmNames ?? []).length > 0,
    );

    const parent = { parent: this };
    const retentionInDays = args.logRetentionInDays ?? 14;
    const { fn, role, logGroup, bundle } = createInferenceFunction(
      name,
      { ...args, retentionInDays, authMode: this.authMode },
      this,
    );
    this.role = role;
    this.function = fn;
    this.alias = createLiveAlias(name, this.function, this);
    args.capture?.subscribe(name, logGroup.name, "lambda", parent);

    const http = createHttpApi(
      name,
      {
        fn: this.function,
        alias: this.alias,
        corsAllowOrigins: args.corsAllowOrigins,
        auth,
        throttlingBurstLimit: args.throttlingBurstLimit ?? 100,
        throttlingRateLimit: args.throttlingRateLimit ?? 50,
        retentionInDays,
        tags: args.tags,
      },
      this,
    );
    this.api = http.api;
    this.stage = http.stage;
    this.authorizer = http.authorizer;
    this.invokeArns = invokeArnsFor(this.api.executionArn);
    this.apiUrl = http.apiUrl;
    this.functionName = this.function.name;
    this.functionArn = this.function.arn;
    this.logGroupName = logGroup.name;
    this.accessLogGroupName = http.accessLogs.name;
    this.bundleHash = bundle.hash;
    this.apiId = this.api.id;
    this.aliasName = this.alias.name;
    this.aliasArn = this.alias.arn;
    this.functionVersion = this.function.version;
    this.metrics = lambdaApiMetrics<pulumi.Input<string>>(this);

    if (args.alarms ?? true) {
      this.alarms = createLambdaApiAlarms(
        name,
        {
          functionName: this.functionName,
          functionVersion: this.functionVersion,
          aliasName: this.aliasName,
          apiId: this.apiId,
          timeout: args.timeout ?? 10,
          serverErrorRateThreshold: args.serverErrorRateThreshold ?? 1,
          clientErrorRateThreshold: args.clientErrorRateThreshold ?? 20,
        },
        { actions: args.alarmActions, tags: args.tags },
        parent,
      );
    }
    const alarms = this.alarms;
    const rolloutResources = createLambdaRollout(
      name,
      {
        rollout,
        fn: this.function,
        alias: this.alias,
        guardAlarms: alarms ? GUARD_ALARMS.map((which) => alarms[which]) : [],
        extraAlarmNames: args.rolloutAlarmNames ?? [],
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
      },
      this,
    );
    this.deploymentGroupName = rolloutResources.deploymentGroup.deploymentGroupName;
    this.rolloutStatus = rolloutResources.deployment.status;

    this.registerOutputs({
      apiUrl: this.apiUrl,
      functionName: this.functionName,
      functionArn: this.functionArn,
      logGroupName: this.logGroupName,
      accessLogGroupName: this.accessLogGroupName,
      apiId: this.apiId,
      aliasArn: this.aliasArn,
      functionVersion: this.functionVersion,
      deploymentGroupName: this.deploymentGroupName,
      rolloutStatus: this.rolloutStatus,
      authMode: this.authMode,
      invokeArns: this.invokeArns,
    });
  }

  /**
   * Let `role` call the protected routes: an inline policy `<name>-invoke-<role's name>` allowing
   * `execute-api:Invoke` on exactly `invokeArns`. Roles of this account only (HTTP APIs take no
   * resource policy). Granted in every mode, so a program runs unchanged on a stack whose config
   * says `none` (the policy is then unused, and ready when the stack turns to `iam`); under `jwt`
   * API Gateway checks tokens, not IAM, which a warning says. `name` overrides the role's Pulumi
   * name in the policy's.
   */
  grantInvoke(role: aws.iam.Role, name?: string): aws.iam.RolePolicy {
    const roleName = logicalNameOf("LambdaInferenceApi", role, name);
    if (this.authMode === "jwt") {
      pulumi.log.warn(
        `grantInvoke(${roleName}): auth is jwt, so API Gateway checks bearer tokens and not IAM; the policy takes effect only if auth becomes iam`,
        this,
      );
    }
    return grantInvokePolicy({
      owner: this.componentName,
      roleName,
      role,
      sid: "InvokeInferenceApi",
      action: "execute-api:Invoke",
      resources: this.invokeArns,
      parent: this,
    });
  }
}
