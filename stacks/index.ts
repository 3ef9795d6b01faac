/**
 * The Pulumi program (Pulumi.yaml `main`). Pulumi calls the exported function and publishes what
 * it resolves to as the stack's outputs: apiUrl, modelS3Uri, modelVersion, imageUri and
 * endpointName (the last two only with SageMaker on).
 */
import { irisStack } from "./program.js";

export = () => irisStack();
