/**
 * What a TrafficCapture changes on a SageMakerEndpoint. Instance endpoints: the endpoint
 * configuration's DataCaptureConfig (SageMaker writes its own capture files under
 * `<prefix>/sagemaker/<endpoint>/<variant>/yyyy/mm/dd/hh/`) and s3:PutObject there for the
 * endpoint's role. Serverless endpoints support no data capture (AWS's feature exclusions,
 * docs/monitoring.md): the container logs capture lines itself (CAPTURE_LOG, CAPTURE_SAMPLE) and
 * the endpoint's log group is subscribed to the capture's serverless stream.
 *
 * A DataCaptureConfig change is a property of the configuration, which replaces it under a new
 * auto-generated name: the endpoint then updates in place to it, as for a new model
 * (components/sagemaker-rollout.ts).
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { captureKeyStatement, samplingPercentage, type TrafficCapture } from "./traffic-capture.js";

/** The content types the container answers: captured as text, anything else base64. */
export const CAPTURE_CONTENT_TYPES = {
  csvContentTypes: ["text/csv"],
  jsonContentTypes: ["application/json", "application/jsonlines"],
};

export function dataCaptureConfigFor(
  capture: TrafficCapture,
): aws.types.input.sagemaker.EndpointConfigurationDataCaptureConfig {
  return {
    enableCapture: true,
    initialSamplingPercentage: samplingPercentage(capture.sample),
    destinationS3Uri: capture.sagemakerS3Uri,
    captureOptions: [{ captureMode: "Input" }, { captureMode: "Output" }],
    captureContentTypeHeader: CAPTURE_CONTENT_TYPES,
    kmsKeyId: capture.kmsKeyArn,
  };
}

/** The serverless container's capture switches (monitoring/capture-line.ts reads them). */
export const serverlessCaptureEnv = (capture: TrafficCapture) => ({
  CAPTURE_LOG: "1",
  CAPTURE_SAMPLE: String(capture.sample),
});

/** What an instance endpoint's role needs to write DataCapture files: that prefix only. */
export function endpointCaptureStatements(capture: TrafficCapture): pulumi.Output<object[]> {
  return pulumi
    .all([capture.sagemakerObjectsArn, capture.kmsKeyArn])
    .apply(([objects, key]) => [
      { Sid: "WriteDataCapture", Effect: "Allow", Action: "s3:PutObject", Resource: objects },
      ...(key ? [captureKeyStatement(key)] : []),
    ]);
}
