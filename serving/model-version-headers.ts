/**
 * Which model gave an answer, in its headers (the body of a prediction says it too, as
 * `model_version`). Every answer given while a model is loaded carries `x-model-version`, on the
 * Lambda and on the server; SageMaker's InvokeEndpoint passes no header of the container's back
 * to its caller but `X-Amzn-SageMaker-Custom-Attributes` (as CustomAttributes), so a prediction
 * from /invocations says it there as well. A model version is 16 hex digits (the manifest's
 * schema checks it), safe in any header. docs/api.md and docs/container.md.
 */

export const MODEL_VERSION_HEADER = "x-model-version";

export const modelVersionHeaders = (modelVersion: string): Record<string, string> => ({
  [MODEL_VERSION_HEADER]: modelVersion,
});

/**
 * The custom attributes of a prediction from /invocations, `model-version=<version>`: InvokeEndpoint
 * forwards at most 1024 visible US-ASCII characters verbatim, and a caller that also gets other
 * attributes can find this one by its key.
 */
export const invocationAttributes = (modelVersion: string): Record<string, string> => ({
  "x-amzn-sagemaker-custom-attributes": `model-version=${modelVersion}`,
});
