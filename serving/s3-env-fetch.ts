/**
 * The Lambda's model download: one signed S3 GET over fetch (aws4fetch signs it, SigV4) with the
 * credentials Lambda puts in the environment. The AWS SDK does the same with a full credential
 * chain, but loading it was most of the function's cold start (62% of the bundle, ~60% of the
 * init time); this is a few kilobytes. The CLI keeps the SDK (model-source.ts) for profiles and
 * SSO.
 */
import { AwsClient } from "aws4fetch";
import { ArtifactError } from "../core/artifact.js";
import { checkModelSha256, type S3Location } from "./model-location.js";

/** A loop, not `/\/+$/`, which backtracks quadratically on a long run of slashes. */
function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === "/") end--;
  return text.slice(0, end);
}

/** The object's URL: path-style on a custom endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), or for buckets with dots; else virtual-hosted. */
export function objectUrl({ bucket, key }: S3Location, region: string, endpoint?: string): string {
  const path = key.split("/").map(encodeURIComponent).join("/");
  if (endpoint) return `${withoutTrailingSlashes(endpoint)}/${bucket}/${path}`;
  if (bucket.includes(".")) return `https://s3.${region}.amazonaws.com/${bucket}/${path}`;
  return `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}

export async function fetchModelWithEnvCredentials(
  location: S3Location,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Uint8Array> {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY || !region) {
    throw new ArtifactError(
      "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION must be set to read the model",
    );
  }
  const client = new AwsClient({
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
    service: "s3",
    region,
    // the init phase has about 10 s: a couple of quick retries on 5xx or a dropped connection
    retries: 2,
    initRetryMs: 100,
  });
  const url = objectUrl(location, region, env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  const name = `s3://${location.bucket}/${location.key}`;
  let response: Response;
  try {
    response = await client.fetch(url);
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS failure…) is its cause
    const cause = (error as Error & { cause?: Error }).cause;
    const reason = cause
      ? `${(error as Error).message}: ${cause.message}`
      : (error as Error).message;
    throw new ArtifactError(`${name} could not be fetched (${reason})`);
  }
  if (!response.ok) {
    // S3's XML error names the reason: NoSuchKey, AccessDenied, …
    const code = /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
    throw new ArtifactError(
      `${name} could not be fetched: HTTP ${response.status}${code ? ` ${code}` : ""}`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  checkModelSha256(name, bytes, location.sha256);
  return bytes;
}
