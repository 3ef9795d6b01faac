/**
 * The endpoint's model: what SageMaker downloaded from the Model's ModelDataUrl and unpacked
 * into /opt/ml/model. It came from S3, so it is held to the policy for remote models (refused
 * unless pinned, signed or opted in): whoever can write the bucket's object cannot run the
 * container. The container never sees the tarball, so its pin is the manifest's sha256
 * (MODEL_MANIFEST_SHA256, which SageMakerEndpoint sets from the upload).
 */
import type { Predictor } from "../core/predictor.js";
import { trustFromEnv } from "../serving/model-env.js";
import { predictorFromBytes } from "../serving/model-load.js";

export const MODEL_DIR = "/opt/ml/model";

export async function loadEndpointModel(dir: string, env: NodeJS.ProcessEnv): Promise<Predictor> {
  return predictorFromBytes({ name: dir, remote: true, tarball: undefined }, trustFromEnv(env));
}
