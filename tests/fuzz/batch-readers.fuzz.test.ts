/**
 * Fuzzing the batch readers of `iris-mlops predict` (core/line-batch.ts, core/row-bytes.ts,
 * core/answer-bytes.ts through cli/predict.ts): any input, cut into chunks anywhere (characters
 * split too), must give the per-line path's bytes and result (bench/lib/per-line-predict.ts,
 * the command before them), within the parsers' budgets.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import fc from "fast-check";
import { predictStreamPerLine } from "../../bench/lib/per-line-predict.js";
import { type InputFormat, predictStream } from "../../cli/predict.js";
import { FEATURES } from "../../core/features.js";
import { BAD_CSV_LINES, BAD_JSON_LINES, chunked, cuts, outputOf } from "../helpers/line-inputs.js";
import { type TrainedModel, trainedModel } from "../helpers/trained.js";
import { csvLine, jsonLine } from "./arbitraries.js";
import { fuzzParameters, fuzzTimeout, shown, withinBudget } from "./budget.js";

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

describe("fuzz: the batch readers of iris-mlops predict", function () {
  this.timeout(fuzzTimeout());
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
          const now = await withinBudget(
            `${format} ${shown(text)}`,
            [],
            () => outputOf((i, o) => predictStream(model.predictor, i, o, { format }), input),
            text.length,
          );
          assert.ok(now.value, "predictStream failed");
          assert.equal(now.value.text, old.text);
          assert.deepEqual(now.value.result, old.result);
        },
      ),
      fuzzParameters(400),
    );
  });
});
