/**
 * `iris-mlops models list` against a fake ListObjectsV2 on 127.0.0.1 that says a page is
 * truncated but gives no token to read on: the listing is incomplete, and must say so.
 */
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";
import { envFor, type FakeDependency, httpServer } from "../helpers/fake-dependency.js";

const truncatedPage = (keys: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>registry</Name><Prefix>models/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${keys
    .map(
      (key) =>
        `<Contents><Key>${key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>1</Size></Contents>`,
    )
    .join("")}</ListBucketResult>`;

describe("cli: iris-mlops models list, a listing S3 cut short", function () {
  this.timeout(60_000);
  let s3: FakeDependency;
  afterEach(() => s3?.close());

  for (const keys of [[], ["models/0123456789abcdef/model.tar.gz"]]) {
    it(`exits 2 on a truncated page without a continuation token (${keys.length} keys on it)`, async () => {
      s3 = await httpServer((_n, _req, res) => {
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(truncatedPage(keys));
      });
      const r = await runCli(["models", "list", "--bucket", "registry"], {
        env: envFor(s3.endpoint),
      });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /s3:\/\/registry\/models\/ was cut short by S3/);
      assert.doesNotMatch(r.stderr, /holds no model/);
      assert.equal(s3.paths.length, 1);
    });
  }
});
