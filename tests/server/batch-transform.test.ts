/**
 * The container's side of a Batch Transform job (SplitType Line, BatchStrategy MultiRecord,
 * AssembleWith Line), black-box over HTTP against the local app, as tests/helpers/batch-transform.ts
 * drives it: files split into mini-batches of whole lines, several in flight at once, the
 * answers joined in order, each output line the answer to its data row; a CSV header, which
 * only the first mini-batch carries, answers no line.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { rowsText } from "../../bench/lib/rows.js";
import { FEATURES } from "../../core/features.js";
import { AppServers } from "../helpers/app-servers.js";
import {
  checkAligned,
  invoke,
  MiniBatchFailed,
  runTransform,
  splitMiniBatches,
  type TransformSettings,
} from "../helpers/batch-transform.js";
import { trainedModel } from "../helpers/model.js";

const HEADER = FEATURES.join(",");

describe("Batch Transform against the local app (black-box over HTTP)", () => {
  const servers = new AppServers();
  let baseUrl: string;
  const settings = (over: Partial<TransformSettings> = {}): TransformSettings => ({
    baseUrl,
    contentType: "text/csv",
    accept: "text/csv",
    maxPayloadBytes: 2048,
    concurrency: 4,
    ...over,
  });

  before(async () => {
    const { port } = await servers.serve((await trainedModel()).predictor);
    baseUrl = `http://127.0.0.1:${port}`;
  });
  after(() => servers.closeAll());

  it("splits by whole lines into mini-batches within MaxPayload", () => {
    const input = rowsText(600, "csv", 3);
    const batches = splitMiniBatches(input, 1000);
    assert.equal(batches.join(""), input);
    assert.ok(batches.length > 5);
    for (const batch of batches) {
      assert.ok(Buffer.byteLength(batch) <= 1000);
      assert.ok(batch.endsWith("\n"));
    }
  });

  it("answers a headered CSV file as one line per data row, with 4 mini-batches in flight", async () => {
    const input = rowsText(1500, "csv", 7);
    const run = await runTransform(settings(), input);
    assert.ok(run.miniBatches.length > 10, `${run.miniBatches.length} mini-batches`);
    assert.ok(run.miniBatches[0]?.startsWith(`${HEADER}\n`));
    assert.ok(run.miniBatches.slice(1).every((b) => !b.includes("sepal")));
    assert.equal(run.peakInFlight, 4);
    assert.equal(await checkAligned(settings(), input, run.output, { header: true }), 1500);
  });

  for (const [contentType, accept] of [
    ["text/csv", "application/jsonlines"],
    ["application/jsonlines", "text/csv"],
    ["application/jsonlines", "application/jsonlines"],
  ] as const) {
    it(`keeps ${contentType} in, ${accept} out aligned (no header line in any answer)`, async () => {
      const csv = contentType === "text/csv";
      const input = rowsText(400, csv ? "csv" : "jsonl", 11);
      const run = await runTransform(settings({ contentType, accept }), input);
      assert.ok(run.miniBatches.length > 3);
      const count = await checkAligned(settings({ contentType, accept }), input, run.output, {
        header: csv,
      });
      assert.equal(count, 400);
    });
  }

  it("stays aligned for any rows, payload and concurrency (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 64, max: 4096 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (rows, maxPayloadBytes, concurrency, header, seed) => {
          const text = rowsText(rows, "csv", seed);
          const input = header ? text : text.slice(text.indexOf("\n") + 1);
          const s = settings({ maxPayloadBytes, concurrency });
          const run = await runTransform(s, input);
          assert.equal(await checkAligned(s, input, run.output, { header }), rows);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("answers a mini-batch that is the header alone with an empty 200", async () => {
    const answer = await invoke(settings(), `${HEADER}\n`);
    assert.deepEqual(answer, { status: 200, body: "" });
  });

  it("reads the header with CRLF line ends and any case", async () => {
    const answer = await invoke(settings(), `${HEADER.toUpperCase()}\r\n5.1,3.5,1.4,0.2\r\n`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.split("\n").filter(Boolean).length, 1);
  });

  it("refuses a header in another column order: the later mini-batches carry none", async () => {
    const reordered = [...FEATURES].reverse().join(",");
    const answer = await invoke(settings(), `${reordered}\n0.2,1.4,3.5,5.1\n`);
    assert.equal(answer.status, 400);
    const { error } = JSON.parse(answer.body) as { error: { message: string } };
    assert.match(
      error.message,
      /^line 1: a header must name the columns in the order sepal_length/,
    );
    assert.match(error.message, /first mini-batch only/);
  });

  it("refuses a header that names other columns, and one past the first line", async () => {
    const other = await invoke(settings(), "a,b,c,d\n5.1,3.5,1.4,0.2\n");
    assert.equal(other.status, 400);
    assert.match(other.body, /line 1: a header names exactly sepal_length/);
    const later = await invoke(settings(), `5.1,3.5,1.4,0.2\n${HEADER}\n`);
    assert.equal(later.status, 400);
    assert.match(later.body, /line 2, sepal_length: /);
  });

  it("still reads a first line mixing numbers and text as a bad row", async () => {
    const answer = await invoke(settings(), "5.1,3.5,abc,0.2\n");
    assert.equal(answer.status, 400);
    assert.match(answer.body, /line 1, petal_length: /);
  });

  it("fails the object when a mini-batch is refused, as Batch Transform does", async () => {
    const input = `${rowsText(200, "csv", 5)}5.1,3.5,1.4,-1\n`;
    await assert.rejects(
      runTransform(settings({ maxPayloadBytes: 512 }), input),
      (error: unknown) => error instanceof MiniBatchFailed && error.status === 400,
    );
  });
});
