/**
 * The Lambda's model download: a signed S3 GET over fetch (aws4fetch signs it, SigV4) with the
 * credentials Lambda puts in the environment, within the S3 budget (model-retry.ts) and the cap
 * on a model.tar.gz (model-body.ts). The AWS SDK does the same with a full credential chain, but
 * loading it was most of the function's cold start (62% of the bundle, ~60% of the init time);
 * this is a few kilobytes. The CLI keeps the SDK (model-source.ts) for profiles and SSO.
 */
import { AwsClient } from "aws4fetch";
import { ArtifactError } from "../core/artifact.js";
import { readModelBody } from "./model-body.js";
import { checkModelKey, type S3Location, s3Uri } from "./model-location.js";
import {
  type AttemptLog,
  type Budget,
  ModelFetchError,
  retryableStatus,
  S3_BUDGET,
  withRetries,
} from "./model-retry.js";

/** A loop, not `/\/+$/`, which backtracks quadratically on a long run of slashes. */
function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === "/") end--;
  return text.slice(0, end);
}

/** The object's URL: path-style on a custom endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), or for buckets with dots; else virtual-hosted. */
export function objectUrl({ bucket, key }: S3Location, region: string, endpoint?: string): string {
  const path = checkModelKey(key).split("/").map(encodeURIComponent).join("/");
  if (endpoint) return `${withoutTrailingSlashes(endpoint)}/${bucket}/${path}`;
  if (bucket.includes(".")) return `https://s3.${region}.amazonaws.com/${bucket}/${path}`;
  return `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}

/** What a 3xx answer is, in words: S3 redirects to another region's endpoint when AWS_REGION is wrong. */
function redirectNote(response: Response): string {
  if (response.status < 300 || response.status > 399) return "";
  const to = response.headers.get("location");
  const region = response.headers.get("x-amz-bucket-region");
  return (
    `: a redirect${to ? ` to ${to}` : ""}, not followed (the model is read only from the URL MODEL_BUCKET and MODEL_KEY name)` +
    (region ? `; the bucket is in ${region}: set AWS_REGION to it` : "")
  );
}

/**
 * fetch decodes a Content-Encoding on its own, so the bytes read would not be the object's: the
 * count would miss its Content-Length (a retried "body ended", forever) and the cap would count
 * inflated bytes. Refused before the body is read, so what is counted is what was received.
 */
function refuseContentEncoding(response: Response): void {
  const encoding = response.headers.get("content-encoding")?.trim();
  if (!encoding || encoding.toLowerCase() === "identity") return;
  void response.body?.cancel().catch(() => undefined);
  throw new ModelFetchError(
    `the object is stored with Content-Encoding: ${encoding}, so it would be read decoded, not as the model.tar.gz it is: upload the model without a Content-Encoding (aws s3 cp without --content-encoding)`,
    false,
  );
}

export interface FetchOptions {
  log?: AttemptLog;
  budget?: Budget;
}

export async function fetchModelWithEnvCredentials(
  location: S3Location,
  env: NodeJS.ProcessEnv = process.env,
  { log = () => undefined, budget = S3_BUDGET }: FetchOptions = {},
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
    retries: 0, // withRetries retries, within the budget
  });
  const url = objectUrl(location, region, env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return withRetries(
    s3Uri(location),
    async ({ signal, answered }) => {
      // signed per attempt: a signature carries its time
      const request = await client.sign(url, { method: "GET" });
      // never followed: a redirect would take the request, and its session token, to a host
      // no one named (fetch drops Authorization across origins, not the x-amz-* headers)
      const response = await fetch(request, { signal, redirect: "manual" });
      answered();
      if (!response.ok) {
        // S3's XML error names the reason: NoSuchKey, AccessDenied, …
        const code = /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
        throw new ModelFetchError(
          `HTTP ${response.status}${code ? ` ${code}` : ""}${redirectNote(response)}`,
          retryableStatus(response.status),
        );
      }
      refuseContentEncoding(response);
      const declared = response.headers.get("content-length");
      if (!response.body) return new Uint8Array();
      const reader = response.body;
      return readModelBody(
        reader as unknown as AsyncIterable<Uint8Array>,
        declared === null ? undefined : Number(declared),
        () => void reader.cancel().catch(() => undefined),
      );
    },
    log,
    budget,
  );
}
