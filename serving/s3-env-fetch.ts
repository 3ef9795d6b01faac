/**
 * The Lambda's model download: a signed S3 GET (SigV4, sigv4.ts) over node:http(s) with the
 * credentials Lambda puts in the environment, within the S3 budget (model-retry.ts) and the cap
 * on a model.tar.gz (model-body.ts). The AWS SDK does the same with a full credential chain, but
 * loading it was most of the function's cold start (62% of the bundle, ~60% of the init time);
 * this is a few kilobytes. It was aws4fetch over fetch until issue 13: the first fetch in a
 * process loads undici, 40% of the remaining cold start. The CLI keeps the SDK (model-source.ts)
 * for profiles and SSO.
 */
import type { IncomingMessage } from "node:http";
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
import { type Credentials, signS3Get } from "./sigv4.js";

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
function redirectNote(response: IncomingMessage): string {
  const status = response.statusCode ?? 0;
  if (status < 300 || status > 399) return "";
  const to = header(response, "location");
  const region = header(response, "x-amz-bucket-region");
  return (
    `: a redirect${to ? ` to ${to}` : ""}, not followed (the model is read only from the URL MODEL_BUCKET and MODEL_KEY name)` +
    (region ? `; the bucket is in ${region}: set AWS_REGION to it` : "")
  );
}

const header = (response: IncomingMessage, name: string): string | undefined => {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
};

/**
 * fetch, the SDK and browsers decode a Content-Encoding on their own, so the bytes they read
 * would not be the object's (the count would miss its Content-Length, the cap would count
 * inflated bytes). Refused before the body is read, as the SDK path sees it too, so one object
 * loads in every door or in none.
 */
function refuseContentEncoding(response: IncomingMessage): void {
  const encoding = header(response, "content-encoding")?.trim();
  if (!encoding || encoding.toLowerCase() === "identity") return;
  response.destroy();
  throw new ModelFetchError(
    `the object is stored with Content-Encoding: ${encoding}, so HTTP clients read it decoded, not as the model.tar.gz it is: upload the model without a Content-Encoding (aws s3 cp without --content-encoding)`,
    false,
  );
}

/** S3's XML error, read up to 64 KiB (it is a few hundred bytes): its Code names the reason. */
async function errorCode(response: IncomingMessage): Promise<string | undefined> {
  let text = "";
  for await (const chunk of response) {
    text += String(chunk);
    if (text.length > 65_536) break;
  }
  response.destroy();
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

/**
 * One GET, answered once the status and headers are in. node:http never follows a redirect,
 * and has no body timeout of its own: `signal` (withRetries' timeouts) aborts it.
 */
async function get(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  // loaded on first use, and only the one the URL needs (https brings TLS); getBuiltinModule
  // (Node >= 20.16) is synchronous, where import() cost ~4 ms at a cold start
  const { request } =
    url.protocol === "https:"
      ? process.getBuiltinModule("node:https")
      : process.getBuiltinModule("node:http");
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, signal, agent: false }, resolve);
    req.on("error", reject);
    req.end();
  });
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
  const credentials: Credentials = {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
  };
  const url = new URL(objectUrl(location, region, env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL));
  return withRetries(
    s3Uri(location),
    async ({ signal, answered }) => {
      // signed per attempt: a signature carries its time. Never followed: a redirect would take
      // the request, and its session token, to a host no one named
      const response = await get(url, signS3Get(url, region, credentials), signal);
      answered();
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        const code = await errorCode(response);
        throw new ModelFetchError(
          `HTTP ${status}${code ? ` ${code}` : ""}${redirectNote(response)}`,
          retryableStatus(status),
        );
      }
      refuseContentEncoding(response);
      const declared = header(response, "content-length");
      return readModelBody(response, declared === undefined ? undefined : Number(declared), () =>
        response.destroy(),
      );
    },
    log,
    budget,
  );
}
