/**
 * The metrics of a LambdaInferenceApi, each written once: the function's (AWS/Lambda, by
 * FunctionName), the HTTP API's (AWS/ApiGateway, by ApiId: every stage, and the API has only
 * `$default`) and the handler's own EMF metrics (handlers/api.ts: namespace IrisMlops, by service
 * and function_name). The component's `metric…` methods, its alarms and the stack's dashboard all
 * take them from here. Every helper returns a Metric (metric.ts): period 300 seconds, Sum for
 * counts and p99 for durations unless the options (or the defaults given here) say otherwise.
 */
import type * as pulumi from "@pulumi/pulumi";
import { combine, type MetricOptions, metricOf } from "./metric.js";

/** The handler's EMF namespace and service name (handlers/lambda.ts: the Powertools defaults). */
export const APP_METRICS_NAMESPACE = "IrisMlops";
export const APP_SERVICE_NAME = "iris-mlops";

export interface LambdaApiMetricNames<V> {
  readonly functionName: V;
  /** The alias API Gateway invokes; only metrics scoped to it need it. */
  readonly aliasName?: V | undefined;
  readonly apiId: V;
  /** The handler's EMF namespace (POWERTOOLS_METRICS_NAMESPACE). Default "IrisMlops". */
  readonly appNamespace?: string | V;
  /** The handler's service (POWERTOOLS_SERVICE_NAME). Default "iris-mlops". */
  readonly serviceName?: string | V;
}

/**
 * Which invocations a function metric counts: "function", all of them (FunctionName); "alias",
 * those through the live alias (FunctionName and Resource `<function>:<alias>`); `{ version }`,
 * those through the alias that this published version ran (and ExecutedVersion): during a
 * rollout, the canary's. Lambda gives the last two only to invocations through an alias.
 */
export type FunctionScope<V> = "function" | "alias" | { readonly version: V };

export interface FunctionMetricOptions<V = pulumi.Input<string>> extends MetricOptions {
  /** Default "function". */
  readonly scope?: FunctionScope<V>;
}

export interface AppMetricOptions<V = pulumi.Input<string>> extends MetricOptions {
  /** Only answers by this model version (the handler publishes each metric with ModelVersion too). Default: every version. */
  readonly modelVersion?: V;
}

/** API Gateway's names for an HTTP API's answers by status class. */
export type ApiErrorClass = "4xx" | "5xx";

/**
 * The helpers over these names; `defaults` apply to every metric they return (a dashboard's
 * period), under each call's options.
 */
export function lambdaApiMetrics<V extends pulumi.Input<string>>(
  names: LambdaApiMetricNames<V>,
  defaults?: MetricOptions,
) {
  const { functionName, aliasName, apiId } = names;
  const functionDimensions = (scope: FunctionScope<V> = "function") => {
    if (scope === "function") return { FunctionName: functionName };
    if (aliasName === undefined) throw new Error(`a metric of the ${scope} needs the alias name`);
    const resource = { Resource: combine([functionName, aliasName], (f, a) => `${f}:${a}`) };
    return scope === "alias"
      ? { FunctionName: functionName, ...resource }
      : { FunctionName: functionName, ...resource, ExecutedVersion: scope.version };
  };
  const lambda = (metricName: string, statistic: "Sum" | "p99", o?: FunctionMetricOptions<V>) =>
    metricOf<V>(
      { namespace: "AWS/Lambda", metricName, dimensions: functionDimensions(o?.scope), statistic },
      defaults,
      o,
    );
  const api = (metricName: string, statistic: "Sum" | "p99", o?: MetricOptions) =>
    metricOf<V>(
      { namespace: "AWS/ApiGateway", metricName, dimensions: { ApiId: apiId }, statistic },
      defaults,
      o,
    );
  const app = (
    metricName: string,
    statistic: "Sum" | "p99",
    o?: AppMetricOptions<V>,
    errorCode?: string,
  ) =>
    metricOf<V>(
      {
        namespace: names.appNamespace ?? APP_METRICS_NAMESPACE,
        metricName,
        dimensions: {
          service: names.serviceName ?? APP_SERVICE_NAME,
          function_name: functionName,
          ...(errorCode === undefined ? {} : { error_code: errorCode }),
          ...(o?.modelVersion === undefined ? {} : { ModelVersion: o.modelVersion }),
        },
        statistic,
      },
      defaults,
      o,
    );
  return {
    /** Any AWS/Lambda metric of the function (e.g. ConcurrentExecutions). Default Sum. */
    function: (metricName: string, o?: FunctionMetricOptions<V>) => lambda(metricName, "Sum", o),
    invocations: (o?: FunctionMetricOptions<V>) => lambda("Invocations", "Sum", o),
    /** Invocations that threw, timed out or could not start. */
    functionErrors: (o?: FunctionMetricOptions<V>) => lambda("Errors", "Sum", o),
    throttles: (o?: FunctionMetricOptions<V>) => lambda("Throttles", "Sum", o),
    /** Milliseconds per invocation. Default p99. */
    duration: (o?: FunctionMetricOptions<V>) => lambda("Duration", "p99", o),

    /** Any AWS/ApiGateway metric of the HTTP API. Default Sum. */
    api: (metricName: string, o?: MetricOptions) => api(metricName, "Sum", o),
    /** Requests the API received (`Count`). */
    requests: (o?: MetricOptions) => api("Count", "Sum", o),
    /** Requests answered 4xx or 5xx (by API Gateway or the function). */
    errors: (kind: ApiErrorClass, o?: MetricOptions) => api(kind, "Sum", o),
    /** Milliseconds from request to answer, as callers see it. Default p99. */
    latency: (o?: MetricOptions) => api("Latency", "p99", o),
    /** Milliseconds API Gateway waited for the function. Default p99. */
    integrationLatency: (o?: MetricOptions) => api("IntegrationLatency", "p99", o),

    /** Any of the handler's EMF metrics. Default Sum. */
    app: (metricName: string, o?: AppMetricOptions<V>) => app(metricName, "Sum", o),
    /** Rows predicted. */
    predictions: (o?: AppMetricOptions<V>) => app("predictions", "Sum", o),
    /** Rows predicted as this species (`predicted_<species>`). */
    predicted: (species: string, o?: AppMetricOptions<V>) => app(`predicted_${species}`, "Sum", o),
    /** Rows the model found to be no Iris at all (`predicted_not_iris`). */
    notIris: (o?: AppMetricOptions<V>) => app("predicted_not_iris", "Sum", o),
    /** Execution environments started (`ColdStart`). */
    coldStarts: (o?: AppMetricOptions<V>) => app("ColdStart", "Sum", o),
    /**
     * Requests the handler answered with an error, of one error code (`bad_input`, …). Without
     * one, the metric to SEARCH by `error_code` (metricSearch), as the dashboard does: the
     * handler publishes none without the code.
     */
    handlerErrors: (errorCode?: string, o?: AppMetricOptions<V>) =>
      app("errors", "Sum", o, errorCode),
    /** Milliseconds the handler took per request. Default p99. */
    handlerLatency: (o?: AppMetricOptions<V>) => app("latency", "p99", o),
  };
}

/** The helpers of a component, whose names are Pulumi inputs. */
export type LambdaApiMetrics = ReturnType<typeof lambdaApiMetrics<pulumi.Input<string>>>;
