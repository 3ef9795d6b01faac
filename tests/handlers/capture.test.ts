/**
 * Capture on the Lambda (issue #11): a sampled 200 `POST /predict` logs one capture line through
 * the Powertools logger, which a CloudWatch Logs subscription carries to Firehose; read back
 * through readCapture from a folder and, wrapped and gzipped as Firehose stores it, from S3.
 * Nothing when unsampled; a failing capture never changes the answer.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Predictor } from "../../core/predictor.js";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import type { ApiEvent } from "../../handlers/events.js";
import { CAPTURE_MESSAGE } from "../../monitoring/capture-line.js";
import { newReadStats, readCapture } from "../../monitoring/capture-read.js";
import type { CaptureRecord } from "../../monitoring/types.js";
import { type Captured, captureOutput, logsSaying } from "../helpers/capture-output.js";
import { apiEvent, FORMATS, lambdaContext } from "../helpers/events.js";
import { LambdaEnvironment } from "../helpers/lambda-environment.js";
import { rowOf, SETOSA, tempDir, trainedModel, VIRGINICA } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";

async function handlerWith(
  predictor: Predictor,
  captureSampled?: () => boolean,
  logger: Logger = new Logger({ serviceName: "iris-mlops" }),
): Promise<ApiHandler> {
  const [handler] = await captureOutput(async () => {
    const created = createApiHandler({
      loadModel: async () => predictor,
      logger,
      metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
      ...(captureSampled === undefined ? {} : { captureSampled }),
    });
    await new Promise((resolve) => setImmediate(resolve));
    return created;
  });
  return handler;
}

const predict = (format: (typeof FORMATS)[number], body: unknown, requestId = "req-1") =>
  apiEvent(format, {
    method: "POST",
    path: "/predict",
    headers: { "content-type": "application/json", "x-secret-header": "do-not-capture" },
    body: JSON.stringify(body),
    requestId,
  });

async function invoke(handler: ApiHandler, event: ApiEvent): Promise<[string, Captured]> {
  const [result, out] = await captureOutput(() => handler(event, lambdaContext()));
  assert.equal(result.statusCode, 200, result.body);
  return [result.body, out];
}

async function readAll(location: string, options = {}): Promise<CaptureRecord[]> {
  const records: CaptureRecord[] = [];
  for await (const record of readCapture(location, options)) records.push(record);
  return records;
}

/** The capture log lines of `out`, as the text CloudWatch would hold. */
const captureLines = (out: Captured): string[] =>
  out.text.split("\n").filter((line) => line.includes(`"message":"${CAPTURE_MESSAGE}"`));

describe("handlers/api.ts capture", () => {
  let predictor: Predictor;
  before(async () => {
    predictor = (await trainedModel()).predictor;
  });

  for (const format of FORMATS) {
    it(`logs one capture line per sampled request, read back by readCapture (payload ${format})`, async () => {
      const handler = await handlerWith(predictor, () => true);
      const [one, outOne] = await invoke(handler, predict(format, SETOSA, "req-one"));
      const [batch, outBatch] = await invoke(
        handler,
        predict(format, { instances: [rowOf(SETOSA), rowOf(VIRGINICA)] }, "req-batch"),
      );
      assert.equal(logsSaying(outOne, CAPTURE_MESSAGE).length, 1);
      assert.equal(logsSaying(outBatch, CAPTURE_MESSAGE).length, 1);
      const lines = [...captureLines(outOne), ...captureLines(outBatch)];
      // never the caller's address or headers
      for (const line of lines) {
        assert.doesNotMatch(line, /203\.0\.113\.9|x-secret-header|do-not-capture|content-type/);
      }
      const dir = await tempDir("capture-lambda-");
      await writeFile(join(dir, "capture.jsonl"), `${lines.join("\n")}\n`);
      const records = await readAll(dir);
      const answers = [JSON.parse(one), ...JSON.parse(batch).predictions];
      assert.deepEqual(
        records.map((r) => r.features),
        [rowOf(SETOSA), rowOf(SETOSA), rowOf(VIRGINICA)],
      );
      records.forEach((record, i) => {
        assert.equal(record.door, "lambda");
        assert.equal(record.model_version, predictor.modelVersion);
        assert.equal(record.species, answers[i].species);
        assert.deepEqual(record.probabilities, answers[i].probabilities);
        assert.equal(record.is_iris, answers[i].is_iris);
        assert.ok(!Number.isNaN(Date.parse(record.time)));
      });
      assert.deepEqual(
        records.map((r) => r.event_id),
        ["req-one", "req-batch", "req-batch"],
      );
    });
  }

  it("logs nothing when the request is not sampled, nor for a refused or non-predict request", async () => {
    const sampled = await handlerWith(predictor, () => true);
    const [, refused] = await captureOutput(() =>
      sampled(apiEvent("2.0", { method: "POST", path: "/predict", body: "{" }), lambdaContext()),
    );
    const [, health] = await captureOutput(() =>
      sampled(apiEvent("2.0", { method: "GET", path: "/health" }), lambdaContext()),
    );
    const [, out] = await invoke(await handlerWith(predictor, () => false), predict("2.0", SETOSA));
    const [, byDefault] = await invoke(await handlerWith(predictor), predict("2.0", SETOSA));
    for (const captured of [refused, health, out, byDefault])
      assert.equal(logsSaying(captured, CAPTURE_MESSAGE).length, 0);
  });

  it("answers byte for byte the same when the capture throws (sampler or logger)", async () => {
    class FailingLogger extends Logger {
      override info(input: Parameters<Logger["info"]>[0]): void {
        if (input === CAPTURE_MESSAGE) throw new Error("log sink down");
        super.info(input);
      }
    }
    const plain = await handlerWith(predictor);
    const throwingSampler = await handlerWith(predictor, () => {
      throw new Error("no randomness");
    });
    const throwingLogger = await handlerWith(
      predictor,
      () => true,
      new FailingLogger({ serviceName: "iris-mlops" }),
    );
    const body = { instances: [rowOf(SETOSA), rowOf(VIRGINICA)] };
    const [expected] = await invoke(plain, predict("2.0", body));
    for (const handler of [throwingSampler, throwingLogger]) {
      const [answer, out] = await invoke(handler, predict("2.0", body));
      assert.equal(answer, expected);
      assert.equal(logsSaying(out, CAPTURE_MESSAGE).length, 0);
    }
  });

  it("fails the deployed module's init on a bad CAPTURE_SAMPLE, saying what to set", async () => {
    await assert.rejects(
      LambdaEnvironment.start({ CAPTURE_SAMPLE: "10%" }),
      /CAPTURE_SAMPLE: .*from 0 \(off\) to 1.*got "10%"/,
    );
  });

  describe("through a CloudWatch Logs subscription and Firehose, into S3", () => {
    let s3: FakeS3;
    before(async () => {
      s3 = await FakeS3.start();
      await s3.createBucket("capture");
    });
    after(async () => {
      await s3.stop();
    });

    it("reads the gzipped wrapper records, concatenated, control messages skipped", async () => {
      const handler = await handlerWith(predictor, () => true);
      const lines: string[] = [];
      for (const [i, measurements] of [SETOSA, VIRGINICA].entries()) {
        const [, out] = await invoke(handler, predict("1.0", measurements, `req-${i}`));
        lines.push(...captureLines(out));
      }
      const wrapper = (messageType: string, messages: string[]) =>
        JSON.stringify({
          messageType,
          owner: "123456789012",
          logGroup: "/aws/lambda/iris-mlops-api",
          logStream: "2026/12/02/[$LATEST]0123456789abcdef",
          subscriptionFilters: ["capture"],
          logEvents: messages.map((message, id) => ({
            id: `${id}`,
            timestamp: Date.now(),
            message,
          })),
        });
      // Firehose without processing: each record gzipped, one after another, no newlines
      const object = Buffer.concat([
        gzipSync(
          wrapper("CONTROL_MESSAGE", [
            "CWL CONTROL MESSAGE: Checking health of destination Firehose.",
          ]),
        ),
        gzipSync(wrapper("DATA_MESSAGE", [lines[0] as string])),
        gzipSync(wrapper("DATA_MESSAGE", [lines[1] as string])),
      ]);
      const hour = new Date().toISOString().slice(0, 13).replace(/[-T]/g, "/");
      await s3.put("capture", `traffic/lambda/${hour}/capture-1-2026.gz`, object);
      // and an object Firehose's processors already unwrapped: the lines themselves
      await s3.put(
        "capture",
        `traffic/lambda/${hour}/capture-2-2026`,
        Buffer.from(`${lines.join("\n")}\n`),
      );
      const client = s3.client();
      const stats = newReadStats();
      try {
        const records = await readAll("s3://capture/traffic/", { s3: client, stats });
        assert.deepEqual(
          records.map((r) => [r.event_id, r.features]),
          [
            ["req-0", rowOf(SETOSA)],
            ["req-1", rowOf(VIRGINICA)],
            ["req-0", rowOf(SETOSA)],
            ["req-1", rowOf(VIRGINICA)],
          ],
        );
        assert.equal(stats.control, 1);
        assert.equal(stats.skipped, 0);
        assert.equal(stats.objects, 2);
      } finally {
        client.destroy();
      }
    });
  });
});
