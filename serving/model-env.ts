/**
 * The model settings a deployed front door reads from its environment (the Lambda; MODEL_* in
 * the container), checked once at start-up so a typo is a clear error, not a silent default:
 *   MODEL_BUCKET, MODEL_KEY     where model.tar.gz is (the key sent exactly as written)
 *   MODEL_SHA256                pin: the object's bytes must have this sha256
 *   MODEL_MANIFEST_SHA256       pin: its manifest.json must have this sha256 (the container's)
 *   MODEL_PUBLIC_KEY            PEM Ed25519 public key: the model must carry its signature
 *   MODEL_ALLOW_UNVERIFIED      true loads a model with neither (refused otherwise)
 */
import { ArtifactError } from "../core/artifact.js";
import { parsePublicKey } from "../core/signature.js";
import { checkLocation, type S3Location } from "./model-location.js";
import { parseFlag, parsePin, type TrustPolicy } from "./model-trust.js";

/** The trust policy the environment sets. */
export function trustFromEnv(env: NodeJS.ProcessEnv): TrustPolicy {
  const pem = env.MODEL_PUBLIC_KEY;
  return {
    sha256: parsePin(env.MODEL_SHA256, "MODEL_SHA256"),
    manifestSha256: parsePin(env.MODEL_MANIFEST_SHA256, "MODEL_MANIFEST_SHA256"),
    publicKey: pem ? parsePublicKey(pem, "MODEL_PUBLIC_KEY") : undefined,
    allowUnverified: parseFlag(env.MODEL_ALLOW_UNVERIFIED, "MODEL_ALLOW_UNVERIFIED"),
  };
}

export function locationFromEnv(env: NodeJS.ProcessEnv): S3Location {
  const { MODEL_BUCKET: bucket, MODEL_KEY: key } = env;
  if (!bucket || !key) throw new ArtifactError("MODEL_BUCKET and MODEL_KEY must be set");
  return checkLocation({ bucket, key });
}
