/**
 * The Pulumi components: plain @pulumi/aws (and @pulumi/docker-build) resources, so every child is
 * visible to Pulumi's mocks (docs/decisions/0001-plain-aws-resources.md).
 */

export * from "./alarms.js";
export * from "./bundle.js";
export * from "./context-hash.js";
export * from "./drift-monitor.js";
export * from "./drift-monitor-metrics.js";
export * from "./github-deploy-roles.js";
export * from "./inference-dashboard.js";
export * from "./lambda-api-metrics.js";
export * from "./lambda-inference-api.js";
export {
  alarmMetric,
  dashboardMetric,
  type Metric,
  type MetricOptions,
  metricQuery,
  metricSearch,
  type ResolvedMetric,
  resolveMetric,
  type Statistic,
} from "./metric.js";
export * from "./model-bucket.js";
export * from "./paths.js";
export * from "./sagemaker-endpoint.js";
export * from "./sagemaker-metrics.js";
export * from "./service-role.js";
export * from "./training-image.js";
export * from "./validate.js";
