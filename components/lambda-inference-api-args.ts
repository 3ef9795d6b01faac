/**
 * LambdaInferenceApi's arguments: flat, typed, each with its default (validated in the
 * component's constructor).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmArgs } from "./alarms.js";
import type { ApiAuth } from "./api-auth.js";
import type { RolloutArgs } from "./lambda-rollout.js";
import type { RoleArgs } from "./service-role.js";
import type { TrafficCapture } from "./traffic-capture.js";

export type LambdaArchitecture = "arm64" | "x86_64";

/**
 * Alarms (`alarms`, default true): function errors, throttles, p99 duration near the timeout, API
 * 5xx and 4xx rates, and the errors and p99 duration of the newest version; those on errors, 5xx
 * and the newest version look at 60-second periods and guard rollouts (components/lambda-api-alarms.ts).
 */
export interface LambdaInferenceApiArgs extends AlarmArgs, RoleArgs, RolloutArgs {
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
  /**
   * Who may call `POST /predict` and `GET /health` (`GET /` and `GET /openapi.json` are always
   * public): `"none"`, anyone; `"iam"`, SigV4-signed requests of principals allowed
   * `execute-api:Invoke` on the route (grantInvoke); `{ mode: "jwt", issuer, audience }`, a bearer
   * token of that issuer for one of the audiences. The function sees the mode as `API_AUTH`.
   * Default "none".
   */
  readonly auth?: ApiAuth;
  /** Names of more CloudWatch alarms that stop and roll back a canary or linear rollout. Default: none. */
  readonly rolloutAlarmNames?: pulumi.Input<string>[];
  /** Percentage of requests answered 5xx in a minute that fires the server-error alarm. Default 1. */
  readonly serverErrorRateThreshold?: pulumi.Input<number>;
  /** Percentage of requests answered 4xx in 5 minutes (with at least 20 requests) that fires the client-error alarm. Default 20. */
  readonly clientErrorRateThreshold?: pulumi.Input<number>;
  /**
   * Capture a sample of the traffic (components/traffic-capture.ts): the function logs capture
   * lines at the capture's sample (CAPTURE_SAMPLE) and its log group is subscribed to the
   * capture's stream. Default: none, CAPTURE_SAMPLE 0.
   */
  readonly capture?: TrafficCapture;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}
