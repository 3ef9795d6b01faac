/**
 * The batch readers' fast path (core/row-bytes.ts): a line it takes is one the per-line
 * readers accept, with the same values to the bit; and it takes the plain lines a file holds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { csvRecordToRow, splitCsvLine } from "../../core/csv.js";
import { FEATURES } from "../../core/features.js";
import { MAX_LINE_BYTES, parseJsonLine } from "../../core/lines.js";
import { csvRow, jsonRow } from "../../core/row-bytes.js";
import { csvLine, jsonLine, numberText } from "../fuzz/arbitraries.js";

const IDENTITY = [0, 1, 2, 3];

/** What the fast path reads from `line`, or undefined when it leaves the line to the per-line readers. */
function fast(kind: "csv" | "jsonl", line: string, columns = IDENTITY): number[] | undefined {
  const bytes = Buffer.from(line);
  // the line sits between others, as in a file: nothing past its end may be read
  const padded = Buffer.concat([Buffer.from("[1,1,1,1]\n"), bytes, Buffer.from("\n]}1,2")]);
  const values = new Float64Array(6);
  const start = 10;
  const end = start + bytes.length;
  const taken =
    kind === "csv"
      ? csvRow(padded, start, end, columns, values, 1)
      : jsonRow(padded, start, end, values, 1);
  return taken ? Array.from(values.subarray(1, 5)) : undefined;
}

const perLine = (kind: "csv" | "jsonl", line: string, order?: number[]): number[] | undefined => {
  try {
    return kind === "csv" ? csvRecordToRow(splitCsvLine(line), "", order) : parseJsonLine(line);
  } catch {
    return undefined;
  }
};

/** Same doubles, -0 and NaN told apart. */
const sameValues = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

const spaces = fc.constantFrom("", " ", "\t", "  ", "\r", "\u000b", "\f");
const plainCsv = fc
  .tuple(fc.array(fc.tuple(spaces, numberText, spaces), { minLength: 4, maxLength: 4 }))
  .map(([fields]) => fields.map((f) => f.join("")).join(","));
const plainJson = fc
  .tuple(fc.array(numberText, { minLength: 4, maxLength: 4 }), fc.boolean(), spaces)
  .map(([values, asArray, space]) =>
    asArray
      ? `${space}[${values.join(`${space},`)}]`
      : `{${FEATURES.map((f, i) => `"${f}"${space}:${values[i]}`).join(", ")}}${space}`,
  );

describe("row-bytes: the fast path of the batch readers", () => {
  for (const [kind, lines] of [
    ["csv", fc.oneof(csvLine, plainCsv)],
    ["jsonl", fc.oneof(jsonLine, plainJson)],
  ] as const) {
    it(`${kind}: a line it takes, the per-line reader reads as the same values (property)`, () => {
      let taken = 0;
      fc.assert(
        fc.property(lines, fc.shuffledSubarray(IDENTITY, { minLength: 4 }), (line, order) => {
          // the batch reader checks a line's length before the fast path sees it
          if (Buffer.byteLength(line) > MAX_LINE_BYTES) return;
          const columns = IDENTITY.map((c) => order.indexOf(c));
          const values = fast(kind, line, kind === "csv" ? columns : IDENTITY);
          if (values === undefined) return;
          taken++;
          const read = perLine(kind, line, kind === "csv" ? order : undefined);
          assert.ok(read, `the per-line reader refuses ${JSON.stringify(line)}`);
          assert.ok(sameValues(values, read), `${JSON.stringify(line)}: ${values} ≠ ${read}`);
        }),
        { numRuns: 5_000 },
      );
      assert.ok(taken > 200, `the fast path took only ${taken} of 5,000 lines`);
    });
  }

  it("takes the plain lines files hold, with Number()'s values", () => {
    const csv = [
      "5.1,3.5,1.4,0.2",
      " 5.1 , 3.5,\t1.4 ,0.2 ",
      "1e2,+.5,5.,3E-1",
      "0.1000000000000000055511151231257827,4.35,1.0,7",
      "123456789012345678,1e22,1e-22,2.2250738585072014e-308",
    ];
    for (const line of csv) {
      const values = line.split(",").map((f) => Number(f.trim()));
      assert.deepEqual(fast("csv", line), values, line);
    }
    const json = [
      "[5.1,3.5,1.4,0.2]",
      ' {"petal_width": 0.2, "sepal_length": 5.1, "petal_length": 1.4, "sepal_width": 3.5}\r',
      "[ 1e2 , 0.5 , 5E+0 , 3e-1 ]",
    ];
    for (const line of json) assert.deepEqual(fast("jsonl", line), perLine("jsonl", line), line);
  });

  it("leaves to the per-line readers what they must judge", () => {
    const csv = [
      "5.1,3.5,1.4,-0.2", // a negative value
      "5.1,3.5,1.4,0", // zero
      "5.1,3.5,1.4,1e-320", // a subnormal
      "5.1,3.5,1.4,1e999", // over a double
      "5.1,3.5,1.4", // three fields
      "5.1,3.5,1.4,0.2,", // five
      "5.1,,1.4,0.2", // an empty field
      '"5.1",3.5,1.4,0.2', // quoted
      "5.1,3.5,1.4,0.2\u00a0", // a space String.trim drops that is not ASCII
      `${"1".repeat(65)},1,1,1`, // a field over 64 characters
      "5.1,3.5,1.4,0x10",
      "sepal_length,sepal_width,petal_length,petal_width",
    ];
    for (const line of csv) assert.equal(fast("csv", line), undefined, line);
    const json = [
      "[5.1,3.5,1.4,0.2,1]",
      "[5.1,3.5,1.4]",
      "[05.1,3.5,1.4,0.2]", // a leading zero: not JSON
      "[.5,3.5,1.4,0.2]",
      "[5.,3.5,1.4,0.2]",
      "[+5,3.5,1.4,0.2]",
      '{"sepal_length":5.1,"sepal_length":3.5,"petal_length":1.4,"petal_width":0.2}',
      '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4}',
      '{"sepal_\\u006cength":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}',
      "[5.1,3.5,1.4,0.2]\u000b", // not JSON whitespace
      "[[5.1,3.5,1.4,0.2]]",
      "[5.1,3.5,1.4,0.2] x",
    ];
    for (const line of json) assert.equal(fast("jsonl", line), undefined, line);
  });
});
