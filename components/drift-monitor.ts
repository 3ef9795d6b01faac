/**
 * DriftMonitor: a function (handlers/drift-monitor-lambda.ts, bundled as LambdaInferenceApi's is)
 * that EventBridge Scheduler runs on a schedule; each run compares the last window of captured
 * traffic with the served model's training profile, publishes the figures as EMF metrics and
 * writes the HTML and JSON reports to S3 (docs/monitoring.md, "DriftMonitor"). Alarms: drift,
 * the not-Iris share, the function's errors, and "no run" (no verdict for two run intervals).
 *
 * Least privilege: the function may list and read the capture prefix, read exactly the model's
 * key, write the reports prefix and its own log group; the scheduler's role may invoke exactly
 * this function, and only Scheduler of this account may assume it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FeatureName } from "../core/features.js";
import { DEFAULT_THRESHOLDS } from "../monitoring/drift.js";
import type { DriftThresholds } from "../monitoring/types.js";
import type { AlarmArgs } from "./alarms.js";
import { type Bundle, bundleArchive, bundleHandler } from "./bundle.js";
import { createMonitorAlarms, type DriftMonitorAlarms } from "./drift-monitor-alarms.js";
import { driftMonitorWidgets } from "./drift-monitor-dashboard.js";
import {
  type DriftMonitorMetrics,
  driftMonitorMetrics,
  type MonitorMetricOptions,
  runPeriods,
} from "./drift-monitor-metrics.js";
import { monitorStatements, schedulerTrust } from "./drift-monitor-policy.js";
import { logPrefix } from "./lambda-http-api.js";
import type { MetricOptions } from "./metric.js";
import { defaultHandlerEntry } from "./paths.js";
import { type RoleArgs, serviceRole } from "./service-role.js";
import { ArgumentError, checkInteger, checkOneOf, LOG_RETENTION_DAYS } from "./validate.js";

export type { DriftMonitorAlarms };

export interface DriftMonitorArgs extends AlarmArgs, RoleArgs {
  /** Bucket the capture lands in (TrafficCapture's bucket). Required. */
  readonly captureBucketName: pulumi.Input<string>;
  /** Key prefix of the capture in it, "" or ending in "/". Default "capture/". */
  readonly capturePrefix?: pulumi.Input<string>;
  /** KMS key of the capture bucket, if any: adds kms:Decrypt on it. Default: none. */
  readonly captureKmsKeyArn?: pulumi.Input<string | undefined>;
  /** Bucket of the served model (ModelBucket.bucketName). Required. */
  readonly modelBucketName: pulumi.Input<string>;
  /** Key of its model.tar.gz (ModelBucket.modelKey): the only model object the function may read. Required. */
  readonly modelKey: pulumi.Input<string>;
  /** sha256 (hex) of the model.tar.gz, checked as the API checks it (ModelBucket.modelSha256). Required. */
  readonly modelSha256: pulumi.Input<string>;
  /** KMS key of the model bucket, if any: adds kms:Decrypt on it. Default: none. */
  readonly modelKmsKeyArn?: pulumi.Input<string | undefined>;
  /** Bucket the reports are written to. Default: the capture bucket. */
  readonly reportsBucketName?: pulumi.Input<string>;
  /** Key prefix of the reports, "" or ending in "/", outside the capture prefix. Default "reports/". */
  readonly reportsPrefix?: pulumi.Input<string>;
  /** KMS key of the reports bucket, if any: adds kms:GenerateDataKey on it. Default: none. */
  readonly reportsKmsKeyArn?: pulumi.Input<string | undefined>;
  /**
   * When runs happen (EventBridge Scheduler: `rate(...)`, `cron(...)`). Default "rate(1 hour)":
   * each run still looks at a day of traffic (`windowHours`), so figures stay steady, while an
   * alarm and a report come within the hour, and "no run" can look at two intervals (CloudWatch
   * evaluates at most a day). Decides the alarms' periods, so it is a plain value.
   */
  readonly scheduleExpression?: string;
  /** Hours of traffic each run compares, ending at the run. Default 24. */
  readonly windowHours?: pulumi.Input<number>;
  /** The verdict's thresholds (docs/monitoring.md). Default: the drift module's DEFAULT_THRESHOLDS. */
  readonly thresholds?: pulumi.Input<DriftThresholds>;
  /** not_iris_share at or above which its alarm fires. Default `thresholds.not_iris_share.drift` if plain, else DEFAULT_THRESHOLDS'. */
  readonly notIrisShareThreshold?: pulumi.Input<number>;
  /** The function's entry file. Default `<package root>/handlers/drift-monitor-lambda.ts` (dist/ when installed). */
  readonly handlerEntry?: pulumi.Input<string>;
  /** Memory in MB. Default 1024 (reading a day of capture is I/O and JSON parsing). */
  readonly memorySize?: pulumi.Input<number>;
  /** Timeout of one run in seconds. Default 300. */
  readonly timeout?: pulumi.Input<number>;
  /** Days the function's logs are kept. Default 14. */
  readonly logRetentionInDays?: pulumi.Input<number>;
  /** Times Scheduler retries an invocation it could not deliver. Default 2. */
  readonly maximumRetryAttempts?: pulumi.Input<number>;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const known = (v: unknown): v is string => typeof v === "string";
const PREFIX = /^(?:[^/]+\/)*$/;

export class DriftMonitor extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly function: aws.lambda.Function;
  readonly schedule: aws.scheduler.Schedule;
  readonly schedulerRole: aws.iam.Role;
  readonly functionName: pulumi.Output<string>;
  readonly scheduleArn: pulumi.Output<string>;
  /** `s3://<reports bucket>/<prefix>`: runs write `yyyy/mm/dd/HHMMSSZ.html|json` and `latest.*` under it. */
  readonly reportUrlPrefix: pulumi.Output<string>;
  /** The newest report: `<reportUrlPrefix>latest.html`. */
  readonly latestReportUrl: pulumi.Output<string>;
  /** Seconds between runs (a day for cron schedules): the alarms' and the graphs' period. */
  readonly runPeriod: number;
  /** Undefined when `alarms` is false. */
  readonly alarms?: DriftMonitorAlarms;
  /** Widgets for InferenceDashboard's `extraWidgets`. */
  readonly dashboardWidgets: pulumi.Output<Record<string, unknown>[]>;

  private readonly metrics: DriftMonitorMetrics;
  readonly metricPsi = (feature: FeatureName, o?: MonitorMetricOptions) =>
    this.metrics.psi(feature, o);
  readonly metricKs = (feature: FeatureName, o?: MonitorMetricOptions) =>
    this.metrics.ks(feature, o);
  readonly metricVerdict = (o?: MonitorMetricOptions) => this.metrics.verdict(o);
  readonly metricNotIrisShare = (o?: MonitorMetricOptions) => this.metrics.notIrisShare(o);
  readonly metricRows = (o?: MonitorMetricOptions) => this.metrics.rows(o);
  readonly metricFunctionErrors = (o?: MetricOptions) => this.metrics.functionErrors(o);

  constructor(name: string, args: DriftMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:DriftMonitor", name, args, opts);
    const c = "DriftMonitor";
    checkInteger(c, "memorySize", args.memorySize, 128, 10240);
    checkInteger(c, "timeout", args.timeout, 1, 900);
    checkInteger(c, "windowHours", args.windowHours, 1, 744);
    checkInteger(c, "maximumRetryAttempts", args.maximumRetryAttempts, 0, 185);
    checkOneOf(c, "logRetentionInDays", args.logRetentionInDays, LOG_RETENTION_DAYS);
    const scheduleExpression = args.scheduleExpression ?? "rate(1 hour)";
    let periods: ReturnType<typeof runPeriods>;
    try {
      periods = runPeriods(scheduleExpression);
    } catch (error) {
      throw new ArgumentError(`${c}: ${(error as Error).message}`);
    }
    this.runPeriod = periods.period;
    const capturePrefix = args.capturePrefix ?? "capture/";
    const reportsPrefix = args.reportsPrefix ?? "reports/";
    const reportsBucket = args.reportsBucketName ?? args.captureBucketName;
    for (const [arg, value] of [
      ["capturePrefix", capturePrefix],
      ["reportsPrefix", reportsPrefix],
    ] as const) {
      if (known(value) && !PREFIX.test(value))
        throw new ArgumentError(
          `${c}: ${arg} must be "" or end in "/" with no empty segment, got ${JSON.stringify(value)}`,
        );
    }
    if (
      known(capturePrefix) &&
      known(reportsPrefix) &&
      (args.reportsBucketName === undefined || args.reportsBucketName === args.captureBucketName) &&
      reportsPrefix.startsWith(capturePrefix)
    )
      throw new ArgumentError(
        `${c}: reportsPrefix ${JSON.stringify(reportsPrefix)} is inside capturePrefix ${JSON.stringify(capturePrefix)} of the same bucket: the runs would read their own reports as capture`,
      );

    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent).partition;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const sourceMap = true;
    const bundle: pulumi.Output<Bundle> = pulumi
      .output(args.handlerEntry ?? defaultHandlerEntry(undefined, "drift-monitor-lambda"))
      .apply((entry) => bundleHandler(entry, { sourceMap }));

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        namePrefix: `/aws/lambda/${logPrefix(name)}-`,
        retentionInDays: args.logRetentionInDays ?? 14,
        tags: args.tags,
      },
      parent,
    );
    const { role, policy } = serviceRole(
      name,
      {
        service: "lambda.amazonaws.com",
        statements: monitorStatements({
          partition,
          captureBucket: args.captureBucketName,
          capturePrefix,
          captureKmsKeyArn: args.captureKmsKeyArn,
          modelBucket: args.modelBucketName,
          modelKey: args.modelKey,
          modelKmsKeyArn: args.modelKmsKeyArn,
          reportsBucket,
          reportsPrefix,
          reportsKmsKeyArn: args.reportsKmsKeyArn,
          logGroupArn: logGroup.arn,
        }),
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
        architectures: ["arm64"],
        code: bundle.apply(bundleArchive),
        sourceCodeHash: bundle.hash,
        role: role.arn,
        memorySize: args.memorySize ?? 1024,
        timeout: args.timeout ?? 300,
        environment: {
          variables: pulumi
            .all([
              args.modelBucketName,
              args.modelKey,
              args.modelSha256,
              args.captureBucketName,
              capturePrefix,
              reportsBucket,
              reportsPrefix,
              pulumi.all([args.windowHours ?? 24, args.thresholds]),
            ])
            .apply(([mb, mk, sha, cb, cp, rb, rp, [hours, thresholds]]) => ({
              MODEL_BUCKET: mb,
              MODEL_KEY: mk,
              MODEL_SHA256: sha,
              CAPTURE_BUCKET: cb,
              CAPTURE_PREFIX: cp,
              REPORTS_BUCKET: rb,
              REPORTS_PREFIX: rp,
              DRIFT_WINDOW_HOURS: String(hours),
              ...(thresholds ? { DRIFT_THRESHOLDS: JSON.stringify(thresholds) } : {}),
              NODE_OPTIONS: "--enable-source-maps",
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
      { parent: this, dependsOn: [policy] },
    );

    this.schedulerRole = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        assumeRolePolicy: pulumi.jsonStringify(schedulerTrust(account)),
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
      },
      parent,
    );
    const schedulerPolicy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: this.schedulerRole.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "InvokeMonitor",
              Effect: "Allow",
              Action: "lambda:InvokeFunction",
              Resource: this.function.arn,
            },
          ],
        }),
      },
      parent,
    );
    this.schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        description: `Runs the drift check of ${name} (docs/monitoring.md)`,
        scheduleExpression,
        // a run looks at a window ending now: no need to spread runs, and the "no run" alarm
        // counts on them coming on time
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: this.function.arn,
          roleArn: this.schedulerRole.arn,
          input: JSON.stringify({ source: "iris-mlops.drift-monitor" }),
          retryPolicy: {
            maximumRetryAttempts: args.maximumRetryAttempts ?? 2,
            // a late run is still a run of the window ending when it runs; older than an
            // interval, the next one covers it
            maximumEventAgeInSeconds: Math.min(Math.max(this.runPeriod, 60), 86400),
          },
        },
      },
      { parent: this, dependsOn: [schedulerPolicy] },
    );

    this.functionName = this.function.name;
    this.scheduleArn = this.schedule.arn;
    this.reportUrlPrefix = pulumi.interpolate`s3://${reportsBucket}/${reportsPrefix}`;
    this.latestReportUrl = pulumi.interpolate`${this.reportUrlPrefix}latest.html`;
    this.metrics = driftMonitorMetrics<pulumi.Input<string>>(
      { functionName: this.functionName },
      { period: this.runPeriod },
    );

    if (args.alarms ?? true) {
      const plain = args.thresholds as DriftThresholds | undefined;
      this.alarms = createMonitorAlarms(
        name,
        this.metrics,
        {
          notIrisShare:
            args.notIrisShareThreshold ??
            (typeof plain?.not_iris_share?.drift === "number"
              ? plain.not_iris_share.drift
              : DEFAULT_THRESHOLDS.not_iris_share.drift),
          noRunPeriods: periods.noRunPeriods,
        },
        { actions: args.alarmActions, tags: args.tags },
        parent,
      );
    }

    const region = aws.getRegionOutput({}, parent).region;
    this.dashboardWidgets = pulumi
      .all([region, this.functionName])
      .apply(([r, fn]) =>
        driftMonitorWidgets({ region: r, functionName: fn, period: this.runPeriod }),
      );

    this.registerOutputs({
      functionName: this.functionName,
      scheduleArn: this.scheduleArn,
      reportUrlPrefix: this.reportUrlPrefix,
      latestReportUrl: this.latestReportUrl,
    });
  }
}
