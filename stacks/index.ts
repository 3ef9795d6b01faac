/**
 * The Pulumi program (Pulumi.yaml `main`). Pulumi calls the exported function and publishes what
 * it resolves to as the stack's outputs: apiUrl, apiAuth, apiInvokeArns, modelS3Uri, modelVersion,
 * functionVersion, rolloutStatus, dashboardName and, when their feature is on, imageUri,
 * endpointName, sageMakerModelName, captureS3Uri, alertTopicArn and driftReportUrl.
 */
import { irisStack } from "./program.js";

// an undefined output makes every `pulumi up` warn that it "will not show as a stack output"
export = async () =>
  Object.fromEntries(Object.entries(await irisStack()).filter(([, value]) => value !== undefined));
