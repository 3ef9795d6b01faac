/**
 * serving/s3-env-fetch.ts: the Lambda's signed S3 GET with the environment's credentials, against
 * a real s3rver on 127.0.0.1, and the URLs it builds for AWS.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { gzipSync } from "node:zlib";
import { ArtifactError, sha256 } from "../../core/artifact.js";
import { fetchModelWithEnvCredentials, objectUrl } from "../../serving/s3-env-fetch.js";
import { envFor, httpServer } from "../helpers/fake-dependency.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";

describe("serving/s3-env-fetch.ts", () => {
  describe("objectUrl", () => {
    it("is virtual-hosted on AWS, path-style for dotted buckets and custom endpoints, keys encoded per segment", () => {
      const key = "models/0123 abc/model+1.tar.gz";
      assert.equal(
        objectUrl({ bucket: "iris-models", key }, "eu-west-1"),
        "https://iris-models.s3.eu-west-1.amazonaws.com/models/0123%20abc/model%2B1.tar.gz",
      );
      assert.equal(
        objectUrl({ bucket: "iris.models", key: "m.tar.gz" }, "eu-west-1"),
        "https://s3.eu-west-1.amazonaws.com/iris.models/m.tar.gz",
      );
      assert.equal(
        objectUrl({ bucket: "b", key: "k/m.tar.gz" }, "us-east-1", "http://127.0.0.1:9000/"),
        "http://127.0.0.1:9000/b/k/m.tar.gz",
      );
    });
  });

  describe("against s3rver", () => {
    const BUCKET = "models";
    const KEY = "iris/0123456789abcdef/model.tar.gz";
    let model: TrainedModel;
    let s3: FakeS3;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      model = await trainedModel();
      s3 = await FakeS3.start();
      await s3.createBucket(BUCKET);
      await s3.put(BUCKET, KEY, model.tarball);
      env = s3.env();
    });
    after(async () => {
      await s3?.stop();
    });

    it("fetches the object's bytes unchanged with a signed GET, once", async () => {
      const before = s3.gets(BUCKET, KEY);
      const bytes = await fetchModelWithEnvCredentials({ bucket: BUCKET, key: KEY }, env);
      assert.equal(sha256(bytes), model.sha256);
      assert.equal(s3.gets(BUCKET, KEY), before + 1);
    });

    it("names S3's error for a missing object, and the cause when S3 cannot be reached", async () => {
      await assert.rejects(
        fetchModelWithEnvCredentials({ bucket: BUCKET, key: "nope/model.tar.gz" }, env),
        (error: Error) =>
          error instanceof ArtifactError &&
          /s3:\/\/models\/nope\/model\.tar\.gz.*HTTP 404 NoSuchKey/.test(error.message),
      );
      // a port nobody listens on: taken from the OS, then let go
      const closed = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, "127.0.0.1", () => {
          const { port } = server.address() as { port: number };
          server.close(() => resolve(port));
        });
      });
      await assert.rejects(
        fetchModelWithEnvCredentials(
          { bucket: BUCKET, key: KEY },
          {
            ...env,
            AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${closed}`,
            AWS_ENDPOINT_URL: undefined,
          },
        ),
        (error: Error) => error instanceof ArtifactError && /ECONNREFUSED/.test(error.message),
      );
    });

    it("signs with SigV4 for S3 in the environment's region, with the session token when there is one", async () => {
      await fetchModelWithEnvCredentials(
        { bucket: BUCKET, key: KEY },
        { ...env, AWS_SESSION_TOKEN: "token-1" },
      );
      const last = s3.requests.filter((r) => r.method === "GET").at(-1);
      assert.match(
        last?.authorization ?? "",
        /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[^,]*x-amz-security-token[^,]*, Signature=[0-9a-f]{64}$/,
      );
    });

    it("says which variables are missing instead of sending an unsigned request", async () => {
      await assert.rejects(
        fetchModelWithEnvCredentials({ bucket: BUCKET, key: KEY }, { AWS_REGION: "us-east-1" }),
        /AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION must be set/,
      );
    });
  });

  describe("a redirect from S3", () => {
    const LOCATION = { bucket: "models", key: "iris/model.tar.gz" };
    let model: TrainedModel;
    before(async () => {
      model = await trainedModel();
    });

    for (const status of [301, 302, 307, 308]) {
      it(`${status} is refused, naming the status, and never followed (the signed headers would go with it)`, async () => {
        // where a lying S3 sends the fetch: it would serve a model, and see the credentials
        const elsewhere = await httpServer((_n, _req, res) => {
          res.writeHead(200, { "content-type": "application/gzip" });
          res.end(model.tarball);
        });
        const s3 = await httpServer((_n, _req, res) => {
          res.writeHead(status, {
            location: `${elsewhere.endpoint}/stolen/model.tar.gz`,
            "content-type": "application/xml",
            // what S3 says when AWS_REGION is not the bucket's
            ...(status === 301 ? { "x-amz-bucket-region": "eu-west-1" } : {}),
          });
          res.end("<Error><Code>TemporaryRedirect</Code></Error>");
        });
        try {
          await assert.rejects(
            fetchModelWithEnvCredentials(LOCATION, {
              ...envFor(s3.endpoint),
              AWS_SESSION_TOKEN: "token-1",
            }),
            (error: Error) =>
              error instanceof ArtifactError &&
              new RegExp(`HTTP ${status} TemporaryRedirect`).test(error.message) &&
              /redirect .*not followed/.test(error.message) &&
              error.message.includes(`${elsewhere.endpoint}/stolen/model.tar.gz`) &&
              (status !== 301 || /the bucket is in eu-west-1: set AWS_REGION/.test(error.message)),
          );
          assert.equal(elsewhere.connections(), 0, "the redirect was followed");
          // a redirect is an answer, not a failure worth retrying
          assert.equal(s3.paths.length, 1);
        } finally {
          await Promise.all([s3.close(), elsewhere.close()]);
        }
      });
    }
  });
  describe("an object stored with a Content-Encoding", () => {
    it("is refused at once, not retried, naming the encoding and how to upload the model instead", async () => {
      const { tarball } = await trainedModel();
      // what S3 serves for `aws s3 cp --content-encoding gzip`: fetch would inflate the body
      const s3 = await httpServer((_n, _req, res) => {
        const body = gzipSync(tarball);
        res.writeHead(200, {
          "content-type": "application/gzip",
          "content-encoding": "gzip",
          "content-length": String(body.length),
        });
        res.end(body);
      });
      try {
        await assert.rejects(
          fetchModelWithEnvCredentials(
            { bucket: "models", key: "iris/model.tar.gz" },
            envFor(s3.endpoint),
          ),
          (error: Error) =>
            error instanceof ArtifactError &&
            /Content-Encoding: gzip/.test(error.message) &&
            /without --content-encoding/.test(error.message) &&
            !/body ended/.test(error.message),
        );
        assert.equal(s3.paths.length, 1, "a stored encoding does not change on a retry");
      } finally {
        await s3.close();
      }
    });
  });
});
