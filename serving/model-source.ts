/**
 * Where a front door gets its model: a local path (folder or .tar.gz) or an S3 object. From S3
 * the bytes can be pinned by sha256 (the Lambda's MODEL_SHA256): a mismatch refuses the model.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ArtifactError } from "../core/artifact.js";
import { loadPredictor, type Predictor } from "../core/predictor.js";
import { checkModelSha256, type S3Location } from "./model-location.js";

export type { S3Location } from "./model-location.js";

/**
 * An S3 client for the environment: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (any S3-compatible
 * server, e.g. s3rver in tests or MinIO) switch to path-style addressing, which such servers need.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return new S3Client({
    maxAttempts: 3,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new ArtifactError(`${uri} is not an s3://bucket/key URI`);
  return { bucket: match[1] as string, key: match[2] as string };
}

export async function fetchModelBytes(
  client: S3Client,
  { bucket, key, sha256: expected }: S3Location,
): Promise<Uint8Array> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new ArtifactError(`s3://${bucket}/${key} has no body`);
  const bytes = await object.Body.transformToByteArray();
  checkModelSha256(`s3://${bucket}/${key}`, bytes, expected);
  return bytes;
}

/** A predictor from a path or an s3:// URI. */
export async function loadPredictorFrom(source: string, client?: S3Client): Promise<Predictor> {
  if (!source.startsWith("s3://")) return loadPredictor(source);
  return loadPredictor(await fetchModelBytes(client ?? s3ClientFromEnv(), parseS3Uri(source)));
}
