/**
 * The CSV number check and the bounds before it (core/csv.ts, core/lines.ts): the scanner reads
 * exactly the language of the regex it replaced, and no field or line is parsed past its limit.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { csvRecordToRow, isCsvNumber, MAX_FIELD_CHARS, splitCsvLine } from "../../core/csv.js";
import { InputError } from "../../core/input.js";
import { checkLineLength, MAX_LINE_BYTES } from "../../core/lines.js";

/** The regex the scanner replaced (quadratic on `1…1x`); the reference for its language. */
const OLD_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Strings built from the pieces a number is made of, so near-misses are common. */
const numberish = fc
  .array(
    fc.constantFrom("0", "7", "12", ".", "+", "-", "e", "E", "x", " ", "\n", "٣", "1e5", ".5", ""),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(""));

describe("csv: the number scanner", () => {
  it("accepts exactly what the old regex accepted (property)", () => {
    fc.assert(
      fc.property(fc.oneof(numberish, fc.string(), fc.double().map(String)), (text) => {
        assert.equal(isCsvNumber(text), OLD_NUMBER.test(text), JSON.stringify(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees on the edge spellings", () => {
    for (const text of [
      "",
      "+",
      "-",
      ".",
      "1.",
      ".5",
      "1e",
      "1e+",
      "1e+1",
      "+.5e-3",
      "1..2",
      "e5",
      "1e5.",
      "5 ",
    ]) {
      assert.equal(isCsvNumber(text), OLD_NUMBER.test(text), JSON.stringify(text));
    }
  });
});

describe("csv: field and line limits", () => {
  const refuses = (action: () => unknown, pattern: RegExp) =>
    assert.throws(action, (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, pattern);
      return true;
    });

  it("refuses a field over the limit, naming it, before reading it as a number", () => {
    const long = "1".repeat(MAX_FIELD_CHARS + 1);
    refuses(
      () => csvRecordToRow(splitCsvLine(`${long},1,1,1`, "line 3")),
      new RegExp(
        `^line 3: a field is ${MAX_FIELD_CHARS + 1} characters; the limit is ${MAX_FIELD_CHARS}`,
      ),
    );
    refuses(() => splitCsvLine(`"${long}",1,1,1`), /the limit is 64/);
    // at the limit a field is still read
    const atLimit = `1.${"0".repeat(MAX_FIELD_CHARS - 2)}`;
    assert.deepEqual(csvRecordToRow(splitCsvLine(`${atLimit},1,1,1`)), [1, 1, 1, 1]);
  });

  it("refuses a line over the limit in bytes, before splitting it", () => {
    const padded = `5.1,3.5,1.4,0.2${" ".repeat(MAX_LINE_BYTES - 15)}`;
    assert.equal(Buffer.byteLength(padded), MAX_LINE_BYTES);
    assert.deepEqual(csvRecordToRow(splitCsvLine(padded)), [5.1, 3.5, 1.4, 0.2]);
    refuses(
      () => splitCsvLine(`${padded} `),
      new RegExp(`^the line is ${MAX_LINE_BYTES + 1} bytes; the limit is ${MAX_LINE_BYTES}`),
    );
    // counted in UTF-8 bytes: 1,366 three-byte characters are 4,098 bytes
    refuses(() => checkLineLength("€".repeat(1366)), /the line is 4098 bytes/);
    checkLineLength("€".repeat(1365));
  });

  it("refuses a quoted line that csv-parse would read as two records (a bare CR), losing none", () => {
    assert.throws(
      () => splitCsvLine('"5.1",3.5,1.4,0.2\r"6.3",3.3,6,2.5'),
      (error: unknown) => error instanceof InputError && /holds 2 records/.test(error.message),
    );
  });
});
