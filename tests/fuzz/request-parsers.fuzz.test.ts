/**
 * Fuzzing the request parsers (issue 8): the JSON body of /predict and /invocations, CSV and
 * JSON-lines bodies, and the Content-Type / Accept / Content-Encoding checks. Each call must
 * answer or throw one of the project's input errors within its budgets (tests/fuzz/budget.ts);
 * and what CSV or JSON lines accept must predict as the same rows sent as JSON.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { csvHeader, csvRecordToRow, splitCsvLine } from "../../core/csv.js";
import { FEATURES } from "../../core/features.js";
import { InputError } from "../../core/input.js";
import type { Prediction } from "../../core/predictor.js";
import { checkBodyHeaders } from "../../server/media-type.js";
import { checkBodyEncoding } from "../../serving/body-encoding.js";
import { HttpError } from "../../serving/errors.js";
import {
  CSV_TYPE,
  formatInvocation,
  invocationFormatter,
  JSON_TYPE,
  JSONLINES_TYPE,
  parseInvocation,
  requestType,
  responseType,
} from "../../serving/invocations.js";
import { predictFromBody } from "../../serving/predict-api.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import {
  contentEncoding,
  csvLine,
  jsonBodyText,
  jsonLine,
  linesBody,
  mediaTypeHeader,
} from "./arbitraries.js";
import { fuzzParameters, fuzzTimeout, shown, withinBudget } from "./budget.js";

const INPUT_ERRORS = [InputError, HttpError];

/** An answer as the server writes it: head, parts of `size` predictions with separators, tail. */
function inSlices(
  type: typeof JSON_TYPE | typeof CSV_TYPE | typeof JSONLINES_TYPE,
  predictions: readonly Prediction[],
  size: number,
): string {
  const format = invocationFormatter(type, "v");
  const parts: string[] = [];
  for (let at = 0; at < predictions.length; at += size)
    parts.push(
      predictions
        .slice(at, at + size)
        .map((p) => format.item(p))
        .join(format.separator),
    );
  return format.head + parts.join(format.separator) + format.tail;
}

describe("fuzz: request parsers", function () {
  this.timeout(fuzzTimeout());
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  it("the JSON body (/predict): an answer or a 4xx, within budget", async () => {
    await fc.assert(
      fc.asyncProperty(jsonBodyText, async (text) => {
        const outcome = await withinBudget(
          `/predict ${shown(text)}`,
          INPUT_ERRORS,
          () => predictFromBody(model.predictor, text),
          text.length,
        );
        if (outcome.error instanceof HttpError) assert.ok(outcome.error.status < 500);
      }),
      fuzzParameters(1_500),
    );
  });

  it("the JSON body (/invocations) reads as /predict does", async () => {
    await fc.assert(
      fc.asyncProperty(jsonBodyText, async (text) => {
        const invocation = await withinBudget(
          `/invocations ${shown(text)}`,
          INPUT_ERRORS,
          () => parseInvocation(JSON_TYPE, text),
          text.length,
        );
        if (invocation.value === undefined) return;
        // what /invocations accepts under /predict's limit, /predict accepts as the same rows
        if (invocation.value.length <= 10_000) {
          const predicted = predictFromBody(model.predictor, text);
          const predictions = "predictions" in predicted ? predicted.predictions : [predicted];
          assert.deepEqual(
            predictions.map((p) => p.species),
            model.predictor.predictBatch(invocation.value).map((p) => p.species),
          );
        }
      }),
      fuzzParameters(1_000),
    );
  });

  for (const [type, line] of [
    [CSV_TYPE, csvLine],
    [JSONLINES_TYPE, jsonLine],
  ] as const) {
    it(`${type} bodies: rows or a 400 naming the line; accepted rows predict as JSON does`, async () => {
      await fc.assert(
        fc.asyncProperty(linesBody(line), async (text) => {
          const outcome = await withinBudget(
            `${type} ${shown(text)}`,
            INPUT_ERRORS,
            () => parseInvocation(type, text),
            text.length,
          );
          if (outcome.error) {
            assert.match(outcome.error.message, /^(line \d+|no rows)/);
            return;
          }
          const rows = outcome.value;
          // the answer in every format this body could ask for, whole and in the server's slices
          const predictions = model.predictor.predictBatch(rows);
          for (const format of [JSON_TYPE, CSV_TYPE, JSONLINES_TYPE] as const)
            assert.equal(
              inSlices(format, predictions, 7),
              formatInvocation(format, predictions, "v"),
            );
          for (const r of rows)
            assert.ok(r.length === 4 && r.every((x) => Number.isFinite(x) && x > 0));
          // a CSV header alone is no row (batch transform's header-only file); JSON needs one
          if (rows.length === 0) {
            assert.ok(type === CSV_TYPE && /^sepal_length,/i.test(text));
            return;
          }
          const viaJson = parseInvocation(JSON_TYPE, JSON.stringify(rows.map((r) => [...r])));
          assert.deepEqual(viaJson, rows);
          assert.deepEqual(
            model.predictor.predictBatch(viaJson),
            model.predictor.predictBatch(rows),
          );
        }),
        fuzzParameters(1_500),
      );
    });
  }

  it("CSV lines as the CLI reads them: a header or data first, then rows in its order, or an InputError", async () => {
    // a first line that names the features in some order, or any CSV line
    const header = fc.oneof(
      fc.shuffledSubarray([...FEATURES], { minLength: 4, maxLength: 4 }).map((f) => f.join(",")),
      csvLine,
    );
    await fc.assert(
      fc.asyncProperty(header, csvLine, async (first, next) => {
        await withinBudget(
          `header ${shown(first)} then ${shown(next)}`,
          [InputError],
          () => {
            const order = csvHeader(splitCsvLine(first));
            return csvRecordToRow(splitCsvLine(next), "", order);
          },
          first.length + next.length,
        );
      }),
      fuzzParameters(1_000),
    );
  });

  it("Content-Type, Accept and Content-Encoding: a media type, or 406/415, within budget", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(mediaTypeHeader, { nil: undefined }),
        fc.option(mediaTypeHeader, { nil: undefined }),
        contentEncoding,
        async (type, accept, encoding) => {
          const what = `content-type ${shown(type)} accept ${shown(accept)} encoding ${shown(encoding)}`;
          const headers = { "content-type": type, "content-encoding": encoding };
          for (const call of [
            () => checkBodyHeaders(headers),
            // node:http and API Gateway may hand a repeated header over as a list
            () =>
              checkBodyEncoding({
                "content-type": type === undefined ? undefined : [type],
                "content-encoding": encoding?.split(","),
              }),
            () => requestType(type),
            () => responseType(accept),
          ]) {
            const outcome = await withinBudget(what, [HttpError], call);
            if (outcome.error)
              assert.ok([406, 415].includes((outcome.error as HttpError).status), what);
          }
        },
      ),
      fuzzParameters(2_000),
    );
  });
});
