/**
 * Where a front door gets its model: a local path (folder or .tar.gz) or an S3 object, fetched
 * within the S3 budget (model-retry.ts) and size cap (model-body.ts), then checked against the
 * deployer's trust policy (model-trust.ts) and the manifest (core/artifact.ts).
 */
import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import type { Predictor } from "../core/predictor.js";
import { readModelBody } from "./model-body.js";
import { loadLocalModel, predictorFromBytes } from "./model-load.js";
import { parseS3Uri, type S3Location, s3Uri } from "./model-location.js";
import {
  type AttemptLog,
  type Budget,
  ModelFetchError,
  networkError,
  retryableStatus,
  S3_BUDGET,
  withRetries,
} from "./model-retry.js";
import { refuseUnvouched, type TrustPolicy } from "./model-trust.js";

export type { S3Location } from "./model-location.js";
export { parseS3Uri } from "./model-location.js";

/**
 * An S3 client for the environment: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (any S3-compatible
 * server, e.g. s3rver in tests or MinIO) switch to path-style addressing, which such servers need.
 * One attempt per call, with the budget's timeouts: withRetries does the retrying and logging.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return new S3Client({
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: S3_BUDGET.firstByteMs,
      requestTimeout: S3_BUDGET.attemptMs,
      throwOnRequestTimeout: true,
    },
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** An SDK call's failure as one line: the HTTP status and S3's error code, or the network error. */
export function sdkFailure(error: unknown): ModelFetchError {
  const status = (error as SdkError).$metadata?.httpStatusCode;
  if (status === undefined) return networkError(error);
  const { name, message } = error as SdkError;
  return new ModelFetchError(
    `HTTP ${status} ${name}${message && message !== name ? `: ${message}` : ""}`,
    retryableStatus(status),
  );
}

export interface FetchOptions {
  log?: AttemptLog;
  budget?: Budget;
}

export async function fetchModelBytes(
  client: S3Client,
  location: S3Location,
  { log = () => undefined, budget = S3_BUDGET }: FetchOptions = {},
): Promise<Uint8Array> {
  return withRetries(
    s3Uri(location),
    async ({ signal, answered }) => {
      let object: GetObjectCommandOutput;
      try {
        object = await client.send(
          new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw sdkFailure(error);
      }
      answered();
      // in Node the body is a Readable: async-iterable, destroyable
      const body = object.Body as (AsyncIterable<Uint8Array> & { destroy(): void }) | undefined;
      if (!body) throw new ModelFetchError("the object has no body", false);
      try {
        return await readModelBody(body, object.ContentLength, () => body.destroy());
      } catch (error) {
        throw networkError(error);
      }
    },
    log,
    budget,
  );
}

export interface LoadOptions extends FetchOptions {
  trust?: TrustPolicy;
  client?: S3Client;
}

/** A predictor from a path or an s3:// URI. */
export async function loadPredictorFrom(
  source: string,
  { trust = {}, client, ...fetch }: LoadOptions = {},
): Promise<Predictor> {
  if (source.startsWith("s3://")) {
    const location = parseS3Uri(source);
    refuseUnvouched(source, true, trust);
    const s3 = client ?? s3ClientFromEnv();
    const tarball = await fetchModelBytes(s3, location, fetch);
    return predictorFromBytes({ name: source, remote: true, tarball }, trust);
  }
  return loadLocalModel(source, trust);
}
