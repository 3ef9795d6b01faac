/**
 * Request limits. The API's are well under API Gateway's 10 MB and Lambda's 6 MB synchronous
 * payload, so a caller hits our clear 413 rather than a gateway error; SageMaker's match its
 * real-time payload limit, 6 MB.
 */
export const API_MAX_BODY_BYTES = 1024 * 1024;
export const API_MAX_INSTANCES = 10_000;
export const INVOCATIONS_MAX_BODY_BYTES = 6 * 1024 * 1024;
export const INVOCATIONS_MAX_PAYLOAD_MB = 6;
