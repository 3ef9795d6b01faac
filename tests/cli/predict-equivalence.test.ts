/**
 * `iris-mlops predict` reads runs of lines from bytes (core/line-batch.ts) and writes answers
 * into buffers (core/answer-bytes.ts): its output must be, byte for byte, the per-line path's
 * (bench/lib/per-line-predict.ts, the command before the change), errors and all, whatever the
 * input and however it is cut; with --jobs the same bytes, in the same order.
 */
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import fc from "fast-check";
import { predictStreamPerLine } from "../../bench/lib/per-line-predict.js";
import { type InputFormat, predictStream } from "../../cli/predict.js";
import { FEATURES } from "../../core/features.js";
import { csvLine, jsonLine } from "../fuzz/arbitraries.js";
import { runCli } from "../helpers/cli.js";
import { BAD_CSV_LINES, BAD_JSON_LINES, chunked, cuts, linesFile } from "../helpers/line-inputs.js";
import { type TrainedModel, tempDir, trainedModel } from "../helpers/trained.js";

/** A writable that keeps every byte written. */
function collector() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString("utf8") };
}

type Run = (input: Readable, output: Writable) => Promise<unknown>;

async function outputOf(run: Run, input: () => Readable) {
  const { sink, text } = collector();
  const result = await run(input(), sink);
  return { result, text: text() };
}

/** A line of any kind a file can hold, good or bad. */
const anyLine = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
      )
      .map(([tenths, json]) => {
        const row = tenths.map((t) => t / 10);
        return json ? JSON.stringify(row) : row.join(",");
      }),
  },
  { weight: 3, arbitrary: csvLine },
  { weight: 3, arbitrary: jsonLine },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_CSV_LINES, ...BAD_JSON_LINES) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);

const firstLine = fc.oneof(
  fc.shuffledSubarray([...FEATURES], { minLength: 4 }).map((f) => f.join(",")),
  fc.constantFrom("", "\ufeffsepal_length,sepal_width,petal_length,petal_width", "\ufeff[1,2,3,4]"),
  anyLine,
);

const inputText = fc
  .tuple(
    firstLine,
    fc.array(anyLine, { maxLength: 25 }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
  )
  .map(([first, lines, eol, last]) => [first, ...lines].join(eol) + (last ? eol : ""));

describe("cli: predict, batch readers ≡ the per-line path", function () {
  this.timeout(300_000);
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  it("answers any input as the per-line path does, byte for byte, however it is cut (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        inputText,
        cuts,
        fc.constantFrom<InputFormat>("auto", "csv", "jsonl"),
        async (text, at, format) => {
          const input = () => Readable.from(chunked(text, at));
          const old = await outputOf(
            (i, o) => predictStreamPerLine(model.predictor, i, o, { format }),
            input,
          );
          const now = await outputOf(
            (i, o) => predictStream(model.predictor, i, o, { format }),
            input,
          );
          assert.equal(now.text, old.text);
          assert.deepEqual(now.result, old.result);
        },
      ),
      { numRuns: 400 },
    );
  });

  for (const format of ["csv", "jsonl"] as const) {
    it(`a generated ${format} file of 50,000 lines, one in 37 bad: the command writes the per-line path's bytes`, async () => {
      const text = linesFile(50_000, { format, badEvery: 37, header: true, eol: "\r\n" });
      const path = join(tempDir("iris-equivalence-"), `rows.${format}`);
      await writeFile(path, text);
      const old = await outputOf(
        (i, o) => predictStreamPerLine(model.predictor, i, o, { format: "auto" }),
        () => createReadStream(path),
      );
      const errors = (old.result as { errors: number }).errors;
      assert.ok(errors > 500, `${errors} error lines`);
      const fromFile = await runCli(["predict", "--model", model.dir, "--input", path]);
      assert.equal(fromFile.code, 1);
      assert.equal(fromFile.stdout, old.text);
      // the same bytes from standard input, read in the pipe's chunks, and with workers
      const fromStdin = await runCli(["predict", "--model", model.dir, "--jobs", "3"], {
        input: text,
      });
      assert.equal(fromStdin.code, 1);
      assert.equal(fromStdin.stdout, old.text);
    });
  }
});
