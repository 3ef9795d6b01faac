/**
 * `iris-mlops predict` reads runs of lines from bytes (core/line-batch.ts) and writes answers
 * into buffers (core/answer-bytes.ts): on large generated files with bad lines its output must
 * be, byte for byte, the per-line path's (bench/lib/per-line-predict.ts, the command before the
 * change), from a file and from stdin with workers. Any small input, cut anywhere:
 * tests/fuzz/batch-readers.fuzz.test.ts.
 */
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { predictStreamPerLine } from "../../bench/lib/per-line-predict.js";
import { runCli } from "../helpers/cli.js";
import { linesFile, outputOf } from "../helpers/line-inputs.js";
import { type TrainedModel, tempDir, trainedModel } from "../helpers/trained.js";

describe("cli: predict, batch readers ≡ the per-line path", function () {
  this.timeout(300_000);
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
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
