/**
 * adv-11: a batch's capture line must fit one CloudWatch log event (256 KB, docs/monitoring.md),
 * whatever finite measurements the caller sends: /predict and /invocations accept any finite
 * double, and a full-precision one prints as up to 24 characters.
 */
import assert from "node:assert/strict";
import {
  CAPTURE_MAX_ROWS,
  captureEntry,
  captureLine,
  captureRecords,
} from "../../monitoring/capture-line.js";
import { trainedModel } from "../helpers/model.js";

const CLOUDWATCH_EVENT_BYTES = 256 * 1024;

describe("adv-11: capture line size", () => {
  it("a 1,000-row batch of full-precision measurements fits one CloudWatch log event", async () => {
    const { predictor, modelVersion } = await trainedModel();
    const rows: number[][] = [];
    for (let i = 0; i < CAPTURE_MAX_ROWS + 10; i++)
      rows.push([
        -1.2345678901234568e-300 - i * 1e-316,
        -9.876543210987654e300,
        -1.2345678901234568e-300,
        -5.432109876543211e-300,
      ]);
    const predictions = rows.map((r) => predictor.predict(r));
    const records = captureRecords({
      door: "lambda",
      modelVersion,
      rows,
      predictions,
      eventId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    });
    const line = captureLine(captureEntry(records, rows.length));
    const bytes = Buffer.byteLength(line);
    assert.ok(
      bytes <= CLOUDWATCH_EVENT_BYTES,
      `the line is ${bytes} bytes, over ${CLOUDWATCH_EVENT_BYTES}`,
    );
  });
});
