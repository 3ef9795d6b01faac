/**
 * serving/sigv4.ts: the Lambda's own SigV4 for its S3 GET must be aws4fetch's, header for header,
 * for any key, region, endpoint, credentials and time (property); s3rver checks real signatures
 * in tests/serving/s3-env-fetch.test.ts.
 */
import assert from "node:assert/strict";
import { AwsClient } from "aws4fetch";
import fc from "fast-check";
import { objectUrl } from "../../serving/s3-env-fetch.js";
import { amzDate, signS3Get } from "../../serving/sigv4.js";

/** aws4fetch's headers for the same GET, lower-cased as node:http sends them. */
async function aws4fetchHeaders(
  url: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  at: Date,
): Promise<Record<string, string>> {
  const client = new AwsClient({ ...credentials, service: "s3", region, retries: 0 });
  const request = await client.sign(url, { method: "GET", aws: { datetime: amzDate(at) } });
  return { host: new URL(url).host, ...Object.fromEntries(request.headers) };
}

describe("serving/sigv4.ts", () => {
  it("signs a GET exactly as aws4fetch does (property)", async () => {
    const segment = fc.string({ minLength: 1, maxLength: 12, unit: "binary" });
    // tokens are base64 (fetch's Headers would trim the spaces of a made-up one)
    const token = fc.oneof(fc.constant(undefined), fc.stringMatching(/^[A-Za-z0-9+/=]{1,60}$/));
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("us-east-1", "eu-west-1", "ap-southeast-2"),
        fc.constantFrom(undefined, "http://127.0.0.1:9000", "https://minio.example:8443/"),
        fc.record({
          accessKeyId: fc.stringMatching(/^[A-Z0-9]{4,20}$/),
          secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
          sessionToken: token,
        }),
        fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
        async (segments, region, endpoint, { sessionToken, ...keys }, at) => {
          const key = segments.map((s) => s.replace(/^\.{1,2}$/, "x")).join("/");
          let url: string;
          try {
            url = objectUrl({ bucket: "iris-models", key }, region, endpoint);
          } catch {
            return; // a key checkModelKey refuses is never signed
          }
          const credentials = sessionToken ? { ...keys, sessionToken } : keys;
          assert.deepEqual(
            signS3Get(new URL(url), region, credentials, at),
            await aws4fetchHeaders(url, region, credentials, at),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("signs the one header set S3 needs, the token only when there is one", () => {
    const url = new URL("https://iris-models.s3.eu-west-1.amazonaws.com/models/m.tar.gz");
    const at = new Date("2026-12-02T07:00:00Z");
    const plain = signS3Get(url, "eu-west-1", { accessKeyId: "AK", secretAccessKey: "s" }, at);
    assert.deepEqual(Object.keys(plain).sort(), [
      "authorization",
      "host",
      "x-amz-content-sha256",
      "x-amz-date",
    ]);
    assert.equal(plain["x-amz-date"], "20261202T070000Z");
    assert.match(
      plain.authorization as string,
      /^AWS4-HMAC-SHA256 Credential=AK\/20261202\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    const withToken = signS3Get(
      url,
      "eu-west-1",
      { accessKeyId: "AK", secretAccessKey: "s", sessionToken: "t" },
      at,
    );
    assert.equal(withToken["x-amz-security-token"], "t");
    assert.notEqual(withToken.authorization, plain.authorization);
  });
});
