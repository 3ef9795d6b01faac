/**
 * `iris-mlops serve` end to end: the CLI started as a process with a model from a folder, a
 * tarball or S3 (s3rver), answering over HTTP, then stopped with SIGTERM: it must exit 0.
 */
import assert from "node:assert/strict";
import { S3_BUDGET } from "../../serving/model-retry.js";
import { hangingServer } from "../helpers/fake-dependency.js";
import { rowOf, SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";
import { freePort, Spawned, waitForOk } from "../helpers/spawned.js";

const CLI = "cli/main.ts";

describe("iris-mlops serve (cli/main.ts as a process)", () => {
  let model: TrainedModel;
  const started: Spawned[] = [];
  const serve = (args: string[], env: Record<string, string | undefined> = {}) => {
    const cli = Spawned.start(CLI, ["serve", ...args], {
      LOG_LEVEL: "warn",
      PORT: undefined,
      ...env,
    });
    started.push(cli);
    return cli;
  };

  before(async () => {
    model = await trainedModel();
  });
  after(() => {
    for (const cli of started) cli.kill("SIGKILL");
  });

  /** What every running server must answer. */
  async function expectServing(base: string, verifiedBy = "unverified (local file)") {
    const health = await fetch(`${base}/health`);
    assert.deepEqual(await health.json(), {
      status: "ok",
      model_version: model.modelVersion,
      verified_by: verifiedBy,
    });
    const predict = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: JSON.stringify(SETOSA),
    });
    assert.equal(predict.status, 200);
    assert.deepEqual(await predict.json(), {
      ...model.predictor.predict(rowOf(SETOSA)),
      model_version: model.modelVersion,
    });
    const invocations = await fetch(`${base}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv", accept: "text/csv" },
      body: `${rowOf(VIRGINICA).join(",")}\n`,
    });
    assert.equal(
      await invocations.text(),
      `${model.predictor.predict(rowOf(VIRGINICA)).species}\n`,
    );
  }

  async function expectCleanStop(cli: Spawned) {
    cli.kill("SIGTERM");
    const exit = await cli.exit();
    assert.deepEqual(exit, { code: 0, signal: null }, cli.output);
  }

  it("serves a model folder on the port it is given (--port 0: one the OS picks) and stops on SIGTERM", async () => {
    const cli = serve(["--model", model.dir, "--port", "0", "--host", "127.0.0.1"]);
    const [, address] = await cli.waitFor(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
    await expectServing(address as string);
    await expectCleanStop(cli);
  });

  it("serves a model.tar.gz on a chosen free port", async () => {
    const port = await freePort();
    const cli = serve(["--model", model.tarballPath, "--port", String(port)]);
    const base = `http://127.0.0.1:${port}`;
    await waitForOk(`${base}/ping`, cli);
    await expectServing(base);
    await expectCleanStop(cli);
  });

  describe("with the model on S3 (s3rver, AWS_ENDPOINT_URL_S3)", () => {
    let s3: FakeS3;
    before(async () => {
      s3 = await FakeS3.start();
      await s3.createBucket("models");
      await s3.put("models", "iris/model.tar.gz", model.tarball);
    });
    after(() => s3?.stop());

    it("fetches s3://bucket/key once, serves it, and stops on SIGTERM", async () => {
      const port = await freePort();
      const cli = serve(
        [
          "--model",
          "s3://models/iris/model.tar.gz",
          "--sha256",
          model.sha256,
          "--port",
          String(port),
        ],
        { ...s3.env(), AWS_ENDPOINT_URL: undefined, AWS_PROFILE: undefined },
      );
      const base = `http://127.0.0.1:${port}`;
      await waitForOk(`${base}/ping`, cli);
      await expectServing(base, "pinned sha256");
      assert.match(
        cli.stderr,
        new RegExp(`model ${model.modelVersion} from s3://models/iris/model.tar.gz: pinned sha256`),
      );
      assert.equal(s3.gets("models", "iris/model.tar.gz"), 1);
      await expectCleanStop(cli);
    });

    it("exits non-zero within the S3 budget, logging each attempt, when S3 never answers", async () => {
      const hanging = await hangingServer();
      try {
        const started = performance.now();
        const cli = serve(
          ["--model", "s3://models/iris/model.tar.gz", "--sha256", model.sha256, "--port", "0"],
          { ...s3.env(), AWS_ENDPOINT_URL_S3: hanging.endpoint, AWS_ENDPOINT_URL: undefined },
        );
        const exit = await cli.exit();
        const seconds = (performance.now() - started) / 1000;
        assert.notEqual(exit.code, 0, cli.output);
        // the process's own start-up (tsx, the SDK) comes on top of the load's budget
        assert.ok(seconds < S3_BUDGET.totalMs / 1000 + 10, `${seconds} s`);
        const attempts = cli.stderr
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l))
          .filter((l) => l.msg === "s3 attempt");
        assert.ok(attempts.length >= 2, cli.stderr);
        assert.equal(attempts.at(-1).outcome, "failed");
        assert.match(
          cli.stderr,
          /iris-mlops: s3:\/\/models\/iris\/model\.tar\.gz could not be fetched after/,
        );
      } finally {
        await hanging.close();
      }
    });

    it("exits non-zero, saying why, when the S3 object is missing", async () => {
      const cli = serve(
        ["--model", "s3://models/missing/model.tar.gz", "--allow-unverified", "--port", "0"],
        {
          ...s3.env(),
          AWS_ENDPOINT_URL: undefined,
          AWS_PROFILE: undefined,
        },
      );
      const exit = await cli.exit();
      assert.notEqual(exit.code, 0, cli.output);
      assert.match(cli.stderr, /iris-mlops: .*(NoSuchKey|does not exist)/i);
      assert.doesNotMatch(cli.stderr, /serving on/);
    });
  });
});
