/**
 * serving/model-source.ts: where a front door's model comes from, a path or an S3 object (a real
 * s3rver on 127.0.0.1), pinned by sha256 when asked.
 */
import assert from "node:assert/strict";
import type { S3Client } from "@aws-sdk/client-s3";
import { ArtifactError, sha256 } from "../../core/artifact.js";
import {
  fetchModelBytes,
  loadPredictorFrom,
  parseS3Uri,
  s3ClientFromEnv,
} from "../../serving/model-source.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";

describe("serving/model-source.ts", () => {
  describe("parseS3Uri", () => {
    it("splits s3://bucket/key, keys with slashes included", () => {
      assert.deepEqual(parseS3Uri("s3://models/iris/0123/model.tar.gz"), {
        bucket: "models",
        key: "iris/0123/model.tar.gz",
      });
    });

    for (const uri of [
      "s3://models",
      "s3://models/",
      "https://models/key",
      "models/key",
      "s3:///key",
    ]) {
      it(`refuses ${JSON.stringify(uri)}`, () => {
        assert.throws(() => parseS3Uri(uri), ArtifactError);
      });
    }
  });

  describe("s3ClientFromEnv", () => {
    const endpointOf = async (client: S3Client) => {
      const endpoint = await client.config.endpoint?.();
      return endpoint && `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
    };

    it("uses AWS_ENDPOINT_URL_S3, path-style", async () => {
      const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: "http://127.0.0.1:4569" });
      assert.equal(client.config.forcePathStyle, true);
      assert.equal(await endpointOf(client), "http://127.0.0.1:4569");
    });

    it("falls back to AWS_ENDPOINT_URL, and prefers AWS_ENDPOINT_URL_S3 when both are set", async () => {
      const general = s3ClientFromEnv({ AWS_ENDPOINT_URL: "http://127.0.0.1:9000" });
      assert.equal(general.config.forcePathStyle, true);
      assert.equal(await endpointOf(general), "http://127.0.0.1:9000");
      const both = s3ClientFromEnv({
        AWS_ENDPOINT_URL: "http://127.0.0.1:9000",
        AWS_ENDPOINT_URL_S3: "http://127.0.0.1:4569",
      });
      assert.equal(await endpointOf(both), "http://127.0.0.1:4569");
    });

    it("uses AWS's own endpoints, virtual-hosted, when neither is set", () => {
      const client = s3ClientFromEnv({});
      assert.notEqual(client.config.forcePathStyle, true);
    });
  });

  describe("against s3rver", () => {
    const BUCKET = "models";
    const KEY = "iris/model.tar.gz";
    let model: TrainedModel;
    let s3: FakeS3;
    let client: S3Client;

    before(async () => {
      model = await trainedModel();
      s3 = await FakeS3.start();
      await s3.createBucket(BUCKET);
      await s3.put(BUCKET, KEY, model.tarball);
      client = s3.client();
    });
    after(async () => {
      client?.destroy();
      await s3?.stop();
    });

    it("fetches the object's bytes unchanged", async () => {
      const bytes = await fetchModelBytes(client, { bucket: BUCKET, key: KEY });
      assert.equal(sha256(bytes), model.sha256);
    });

    it("checks the bytes against a pinned sha256, in either case", async () => {
      for (const expected of [model.sha256, model.sha256.toUpperCase()]) {
        const predictor = await loadPredictorFrom(`s3://${BUCKET}/${KEY}`, {
          client,
          trust: { sha256: expected },
        });
        assert.equal(predictor.verification, "pinned sha256");
      }
      const wrong = sha256("another model");
      await assert.rejects(
        loadPredictorFrom(`s3://${BUCKET}/${KEY}`, { client, trust: { sha256: wrong } }),
        (error: Error) =>
          error instanceof ArtifactError &&
          error.message.includes(`s3://${BUCKET}/${KEY} has sha256 ${model.sha256}`) &&
          error.message.includes(`expected ${wrong}: refusing the model`),
      );
    });

    it("loads a predictor from s3://bucket/key, and from local paths", async () => {
      for (const source of [`s3://${BUCKET}/${KEY}`, model.dir, model.tarballPath]) {
        const predictor = await loadPredictorFrom(source, {
          client,
          trust: { allowUnverified: true },
        });
        assert.equal(predictor.modelVersion, model.modelVersion, source);
      }
    });

    it("fails for a missing object", async () => {
      await assert.rejects(
        loadPredictorFrom(`s3://${BUCKET}/missing.tar.gz`, {
          client,
          trust: { allowUnverified: true },
        }),
        /could not be fetched \(HTTP 404 NoSuchKey/,
      );
    });
  });
});
