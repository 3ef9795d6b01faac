/**
 * AWS Signature Version 4 headers for a bodiless S3 GET (the Lambda's model download), with
 * node:crypto's synchronous hash and HMAC. It computes what aws4fetch computes for the same
 * request (tests/serving/sigv4.test.ts checks it header for header); aws4fetch needs a fetch
 * `Request`, and the first Request, Headers or fetch in a process loads Node's bundled undici and
 * its wasm HTTP parser: about 40% of the Lambda's in-process cold start (docs/performance.md).
 */
import { createHash, createHmac } from "node:crypto";

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const hmac = (key: string | Buffer, text: string): Buffer =>
  createHmac("sha256", key).update(text, "utf8").digest();
const hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** RFC 3986 leaves `!'()*` reserved; encodeURIComponent does not encode them. */
const rfc3986 = (text: string): string =>
  text.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** S3's canonical URI: the key's characters each encoded once, slashes kept (as aws4fetch does). */
function canonicalPath(pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname.replace(/\+/g, " "));
  } catch {
    decoded = pathname;
  }
  return rfc3986(encodeURIComponent(decoded).replace(/%2F/g, "/"));
}

/** `20250101T000000Z`, the X-Amz-Date form. */
export const amzDate = (at: Date): string => at.toISOString().replace(/[:-]|\.\d{3}/g, "");

/**
 * The headers to send with `GET url` (a URL without a query string): Host is the one signed, so
 * the request must send exactly it. UNSIGNED-PAYLOAD as aws4fetch sends for S3.
 */
export function signS3Get(
  url: URL,
  region: string,
  credentials: Credentials,
  at: Date = new Date(),
): Record<string, string> {
  const datetime = amzDate(at);
  const scope = `${datetime.slice(0, 8)}/${region}/s3/aws4_request`;
  const headers: Record<string, string> = {
    host: url.host,
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    "x-amz-date": datetime,
    ...(credentials.sessionToken ? { "x-amz-security-token": credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(";");
  const canonical = [
    "GET",
    canonicalPath(url.pathname),
    "",
    `${names.map((name) => `${name}:${(headers[name] as string).replace(/\s+/g, " ")}`).join("\n")}\n`,
    signedHeaders,
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", datetime, scope, hex(canonical)].join("\n");
  let key = hmac(`AWS4${credentials.secretAccessKey}`, datetime.slice(0, 8));
  for (const part of [region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
