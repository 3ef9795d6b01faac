/**
 * Where the Lambda's model comes from: S3 (a real s3rver on 127.0.0.1), fetched during the init
 * phase. When S3 is unreachable or the object is missing or not to be trusted, the handler answers
 * 503 model_unavailable (never throws), logs why, and recovers once S3 serves a good model.
 * First through the factory with lambda.ts's own loading code, then with the deployed module in
 * fresh execution environments (child processes).
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { packTarGz } from "../../core/archive.js";
import { MANIFEST, sha256 } from "../../core/artifact.js";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import { predictorFromBytes } from "../../serving/model-load.js";
import { S3_BUDGET } from "../../serving/model-retry.js";
import { fetchModelBytes, s3ClientFromEnv } from "../../serving/model-source.js";
import {
  type Captured,
  captureOutput,
  logsSaying,
  metricsNamed,
} from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { apiEvent, lambdaContext, parseResult } from "../helpers/events.js";
import { hangingServer } from "../helpers/fake-dependency.js";
import { LambdaEnvironment } from "../helpers/lambda-environment.js";
import {
  editedManifestTarball,
  SETOSA,
  type TrainedModel,
  tamperedTarball,
  trainedModel,
} from "../helpers/model.js";
import { FakeS3, setEnv } from "../helpers/s3.js";

/** The function's timeout, LambdaInferenceApi's default (components/lambda-inference-api.ts). */
const LAMBDA_TIMEOUT_SECONDS = 10;

const BUCKET = "iris-models";
const predictEvent = () =>
  apiEvent("2.0", { method: "POST", path: "/predict", body: JSON.stringify(SETOSA) });

/** A port nothing listens on: one s3rver had, now stopped. */
async function closedPort(): Promise<string> {
  const gone = await FakeS3.start();
  await gone.stop();
  return gone.endpoint;
}

describe("the Lambda's model from S3", () => {
  let model: TrainedModel;
  let s3: FakeS3;
  let restoreEnv: () => void;

  before(async () => {
    model = await trainedModel();
    s3 = await FakeS3.start();
    await s3.createBucket(BUCKET);
    // the code under test builds its own S3 client: region and credentials from the environment
    restoreEnv = setEnv({
      ...s3.env(),
      AWS_ENDPOINT_URL_S3: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
    });
  });
  after(async () => {
    restoreEnv?.();
    await s3?.stop();
  });

  describe("through the factory, with lambda.ts's loading code", () => {
    /** createApiHandler with the loader lambda.ts uses, pointed at `endpoint`. */
    async function handlerFor(
      endpoint: string,
      key: string,
      expectedSha?: string,
    ): Promise<{ handler: ApiHandler; init: Captured; loads: () => number }> {
      const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: endpoint });
      let loads = 0;
      const [handler, init] = await captureOutput(async () => {
        const created = createApiHandler({
          loadModel: async () => {
            loads++;
            const tarball = await fetchModelBytes(client, { bucket: BUCKET, key });
            return predictorFromBytes(
              { name: `s3://${BUCKET}/${key}`, remote: true, tarball },
              { sha256: expectedSha },
            );
          },
          logger: new Logger({ serviceName: "iris-mlops" }),
          metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
        });
        // wait for the init load to end, one way or the other
        await created(apiEvent("2.0", { method: "GET", path: "/health" }), lambdaContext());
        return created;
      });
      return { handler, init, loads: () => loads };
    }

    async function invoke(handler: ApiHandler) {
      const [result, out] = await captureOutput(() => handler(predictEvent(), lambdaContext()));
      return { res: parseResult(result), out };
    }

    /** 503 model_unavailable, and the reason logged. */
    function expectUnavailable(
      { res, out }: { res: ReturnType<typeof parseResult>; out: Captured },
      why: RegExp,
    ) {
      assert.equal(res.statusCode, 503, res.body);
      expectErrorBody(res.body, "model_unavailable");
      const failure = logsSaying(out, "model could not be loaded");
      assert.equal(failure.length, 1, out.text);
      assert.match(String(failure[0]?.error), why);
      assert.deepEqual(
        metricsNamed(out, "errors").map((m) => m.dimensions.error_code),
        ["model_unavailable"],
      );
    }

    it("answers 503 while S3 is down, then serves once S3 is back", async () => {
      const key = "down/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      await s3.stop();
      try {
        const { handler, init, loads } = await handlerFor(s3.endpoint, key, model.sha256);
        assert.equal(logsSaying(init, "model could not be loaded").length, 1, init.text);
        expectUnavailable(await invoke(handler), /ECONNREFUSED|connect/i);
        await s3.start();
        const { res } = await invoke(handler);
        assert.equal(res.statusCode, 200, res.body);
        const gets = s3.gets(BUCKET, key);
        assert.equal(gets, 1, "only the successful load reached S3");
        const loadsSoFar = loads();
        for (let i = 0; i < 5; i++) assert.equal((await invoke(handler)).res.statusCode, 200);
        assert.equal(loads(), loadsSoFar, "cached once loaded");
        assert.equal(s3.gets(BUCKET, key), gets);
      } finally {
        await s3.start();
      }
    });

    it("answers 503 while the object is missing, then serves once it is uploaded", async () => {
      const key = "late/model.tar.gz";
      const { handler } = await handlerFor(s3.endpoint, key, model.sha256);
      expectUnavailable(await invoke(handler), /NoSuchKey|does not exist/i);
      await s3.put(BUCKET, key, model.tarball);
      const { res } = await invoke(handler);
      assert.equal(res.statusCode, 200, res.body);
      const gets = s3.gets(BUCKET, key);
      for (let i = 0; i < 5; i++) await invoke(handler);
      assert.equal(s3.gets(BUCKET, key), gets, "no GetObject once loaded");
    });

    it("answers 503 when the endpoint is wrong (nothing listening)", async () => {
      const { handler } = await handlerFor(await closedPort(), "any/model.tar.gz");
      expectUnavailable(await invoke(handler), /ECONNREFUSED|connect/i);
    });

    it("answers 503 when the bucket does not exist", async () => {
      const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: s3.endpoint });
      const [handler] = await captureOutput(async () => {
        const created = createApiHandler({
          loadModel: async () =>
            predictorFromBytes({
              name: "s3://no-such-bucket/m",
              remote: true,
              tarball: await fetchModelBytes(client, { bucket: "no-such-bucket", key: "m" }),
            }),
          logger: new Logger({ serviceName: "iris-mlops" }),
          metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
        });
        await created(predictEvent(), lambdaContext());
        return created;
      });
      expectUnavailable(await invoke(handler), /NoSuchBucket|does not exist/i);
    });

    it("refuses a model whose bytes do not match MODEL_SHA256, and says why", async () => {
      const key = "pinned/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      const wrong = sha256("some other model");
      const { handler } = await handlerFor(s3.endpoint, key, wrong);
      for (let i = 0; i < 2; i++) {
        expectUnavailable(
          await invoke(handler),
          new RegExp(`has sha256 ${model.sha256}, expected ${wrong}: refusing the model`),
        );
      }
    });

    it("accepts MODEL_SHA256 written in upper case", async () => {
      const key = "upper/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      const { handler } = await handlerFor(s3.endpoint, key, model.sha256.toUpperCase());
      assert.equal((await invoke(handler)).res.statusCode, 200);
    });

    const refused: [string, () => Promise<Uint8Array>, RegExp][] = [
      [
        "an inner file was altered",
        () => tamperedTarball(model),
        /compiled\.json is corrupt or tampered with/,
      ],
      [
        "model.json was altered",
        () => tamperedTarball(model, "model.json"),
        /model\.json is corrupt or tampered with/,
      ],
      ["the manifest was edited", () => editedManifestTarball(model), /was edited/],
      ["it is not a tar.gz", async () => new TextEncoder().encode("hello"), /not a \.tar\.gz/],
      [
        "it is truncated",
        async () => model.tarball.subarray(0, model.tarball.length >> 1),
        /truncated or corrupt/,
      ],
      [
        "its files sit in a sub-folder",
        () =>
          packTarGz(
            new Map([...model.files].map(([name, bytes]) => [`model/${name}`, bytes] as const)),
          ),
        /not a file at the root/,
      ],
    ];
    for (const [what, bytes, why] of refused) {
      it(`refuses a model.tar.gz when ${what}, even with MODEL_SHA256 matching it`, async () => {
        const tarball = await bytes();
        const key = `refused/${sha256(tarball)}/model.tar.gz`;
        await s3.put(BUCKET, key, tarball);
        const { handler } = await handlerFor(s3.endpoint, key, sha256(tarball));
        expectUnavailable(await invoke(handler), why);
      });
    }
  });

  describe("the deployed module in fresh execution environments", () => {
    const started: LambdaEnvironment[] = [];
    const environment = async (key: string, extra: Record<string, string | undefined> = {}) => {
      const env = await LambdaEnvironment.start({
        ...s3.env(),
        MODEL_BUCKET: BUCKET,
        MODEL_KEY: key,
        MODEL_SHA256: model.sha256,
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        POWERTOOLS_DEV: undefined,
        POWERTOOLS_METRICS_DISABLED: undefined,
        ...extra,
      });
      started.push(env);
      return env;
    };
    after(() => {
      for (const env of started) env.kill();
    });

    it("answers 503 while S3 is down at init, then serves once it is back (one GetObject)", async () => {
      const key = "env-down/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      await s3.stop();
      try {
        const env = await environment(key);
        const down = parseResult(await env.invoke(predictEvent()));
        assert.equal(down.statusCode, 503, down.body);
        expectErrorBody(down.body, "model_unavailable");
        await s3.start();
        for (let i = 0; i < 3; i++) {
          const res = parseResult(await env.invoke(predictEvent()));
          assert.equal(res.statusCode, 200, res.body);
          assert.deepEqual(res.json, {
            ...model.predictor.predict([5.1, 3.5, 1.4, 0.2]),
            model_version: model.modelVersion,
          });
        }
        assert.equal(s3.gets(BUCKET, key), 1);
        const out = await env.stop();
        const failures = logsSaying(out, "model could not be loaded");
        assert.ok(failures.length >= 1, out.text);
        assert.match(String(failures[0]?.error), /ECONNREFUSED|connect/i);
        assert.equal(logsSaying(out, "model loaded").length, 1);
        assert.equal(metricsNamed(out, "ColdStart").length, 1);
      } finally {
        await s3.start();
      }
    });

    it("answers 503 while the object is missing at init, then serves once uploaded", async () => {
      const key = "env-late/model.tar.gz";
      const env = await environment(key);
      const missing = parseResult(await env.invoke(predictEvent()));
      assert.equal(missing.statusCode, 503);
      expectErrorBody(missing.body, "model_unavailable");
      await s3.put(BUCKET, key, model.tarball);
      assert.equal(parseResult(await env.invoke(predictEvent())).statusCode, 200);
      const gets = s3.gets(BUCKET, key);
      assert.equal(parseResult(await env.invoke(predictEvent())).statusCode, 200);
      assert.equal(s3.gets(BUCKET, key), gets, "cached");
      const out = await env.stop();
      assert.match(
        String(logsSaying(out, "model could not be loaded")[0]?.error),
        /NoSuchKey|does not exist/i,
      );
    });

    it("refuses a model whose sha256 is not MODEL_SHA256, and logs why", async () => {
      const key = "env-tampered/model.tar.gz";
      const tampered = await tamperedTarball(model);
      await s3.put(BUCKET, key, tampered);
      const env = await environment(key);
      for (let i = 0; i < 2; i++) {
        const res = parseResult(await env.invoke(predictEvent()));
        assert.equal(res.statusCode, 503);
        expectErrorBody(res.body, "model_unavailable");
      }
      const out = await env.stop();
      const failures = logsSaying(out, "model could not be loaded");
      assert.ok(failures.length >= 2, out.text);
      for (const failure of failures) {
        assert.match(
          String(failure.error),
          new RegExp(
            `has sha256 ${sha256(tampered)}, expected ${model.sha256}: refusing the model`,
          ),
        );
      }
    });

    it("answers 503 within the function's timeout when S3 accepts and never answers", async () => {
      const hanging = await hangingServer();
      try {
        const env = await environment("hang/model.tar.gz", {
          AWS_ENDPOINT_URL_S3: hanging.endpoint,
        });
        const started = performance.now();
        const res = parseResult(
          await env.invoke(apiEvent("2.0", { method: "GET", path: "/health" })),
        );
        const seconds = (performance.now() - started) / 1000;
        assert.equal(res.statusCode, 503, res.body);
        expectErrorBody(res.body, "model_unavailable");
        // the init load started before the invocation: the invocation waits for at most its rest
        assert.ok(seconds <= S3_BUDGET.totalMs / 1000 + 1, `${seconds} s`);
        assert.ok(S3_BUDGET.totalMs / 1000 <= LAMBDA_TIMEOUT_SECONDS / 2);
        const out = await env.stop();
        const attempts = logsSaying(out, "s3 attempt");
        assert.ok(attempts.length >= 2 && attempts.length <= S3_BUDGET.attempts, out.text);
        assert.equal(attempts.at(-1)?.outcome, "failed");
        assert.match(
          String(logsSaying(out, "model could not be loaded")[0]?.error),
          /could not be fetched after \d attempts/,
        );
      } finally {
        await hanging.close();
      }
    });

    it("refuses a MODEL_KEY a URL would rewrite, without fetching anything", async () => {
      await s3.put(BUCKET, "ok/model.tar.gz", model.tarball);
      const env = await environment("e403/../ok/model.tar.gz");
      const res = parseResult(await env.invoke(predictEvent()));
      assert.equal(res.statusCode, 503, res.body);
      const out = await env.stop();
      assert.match(
        String(logsSaying(out, "model could not be loaded")[0]?.error),
        /the model key "e403\/\.\.\/ok\/model\.tar\.gz" has a "\.\." segment/,
      );
      assert.equal(s3.gets(BUCKET, "ok/model.tar.gz"), 0);
    });

    it("refuses a model that is neither pinned nor signed, unless MODEL_ALLOW_UNVERIFIED=true", async () => {
      const key = "env-unpinned/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      const refused = await environment(key, { MODEL_SHA256: undefined });
      assert.equal(parseResult(await refused.invoke(predictEvent())).statusCode, 503);
      const out = await refused.stop();
      assert.match(
        String(logsSaying(out, "model could not be loaded")[0]?.error),
        /neither pinned by sha256 .* nor signed by a key you name/,
      );
      assert.equal(s3.gets(BUCKET, key), 0, "refused before fetching");
      const allowed = await environment(key, {
        MODEL_SHA256: undefined,
        MODEL_ALLOW_UNVERIFIED: "true",
      });
      const health = parseResult(
        await allowed.invoke(apiEvent("2.0", { method: "GET", path: "/health" })),
      );
      assert.deepEqual(health.json, {
        status: "ok",
        model_version: model.modelVersion,
        verified_by: "unverified (opt-in)",
      });
      await allowed.stop();
    });

    it("takes MODEL_MANIFEST_SHA256 as a pin in place of MODEL_SHA256, and refuses another manifest's", async () => {
      const key = "env-manifest-pin/model.tar.gz";
      await s3.put(BUCKET, key, model.tarball);
      const pin = sha256(model.files.get(MANIFEST) as Uint8Array);
      const pinned = await environment(key, {
        MODEL_SHA256: undefined,
        MODEL_MANIFEST_SHA256: pin,
      });
      const health = parseResult(
        await pinned.invoke(apiEvent("2.0", { method: "GET", path: "/health" })),
      );
      assert.equal((health.json as { verified_by: string }).verified_by, "pinned manifest sha256");
      await pinned.stop();
      const other = await environment(key, {
        MODEL_SHA256: undefined,
        MODEL_MANIFEST_SHA256: "0".repeat(64),
      });
      assert.equal(parseResult(await other.invoke(predictEvent())).statusCode, 503);
      const out = await other.stop();
      assert.match(
        String(logsSaying(out, "model could not be loaded")[0]?.error),
        new RegExp(`manifest\\.json has sha256 ${pin}, expected 0{64}: refusing the model`),
      );
    });

    it("answers 503 and says so when MODEL_BUCKET is not set", async () => {
      const env = await environment("x", { MODEL_BUCKET: undefined });
      const res = parseResult(await env.invoke(predictEvent()));
      assert.equal(res.statusCode, 503);
      expectErrorBody(res.body, "model_unavailable");
      const out = await env.stop();
      assert.match(
        String(logsSaying(out, "model could not be loaded")[0]?.error),
        /MODEL_BUCKET and MODEL_KEY must be set/,
      );
    });
  });
});
