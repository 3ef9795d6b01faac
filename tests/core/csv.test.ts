/** CSV rows (core/csv.ts): one flower per line, header optional and in any column order. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { csvHeader, csvRecordToRow, splitCsvLine } from "../../core/csv.js";
import { FEATURES } from "../../core/features.js";
import { InputError, MIN_NORMAL } from "../../core/input.js";

const row = (line: string, order?: number[]) => csvRecordToRow(splitCsvLine(line), "", order);

function refuses(action: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("csv: lines and fields", () => {
  it("splits a line into trimmed fields, quotes removed", () => {
    assert.deepEqual(splitCsvLine("5.1,3.5,1.4,0.2"), ["5.1", "3.5", "1.4", "0.2"]);
    assert.deepEqual(splitCsvLine(" 5.1 , 3.5,1.4 ,0.2"), ["5.1", "3.5", "1.4", "0.2"]);
    assert.deepEqual(splitCsvLine('"5.1","3.5",1.4,0.2'), ["5.1", "3.5", "1.4", "0.2"]);
  });

  it("refuses a line that is not CSV", () => {
    refuses(() => splitCsvLine('"5.1,3.5,1.4,0.2'), /not valid CSV/);
  });

  it("reads numbers in every usual spelling", () => {
    assert.deepEqual(row("5,3.,.5,+1e-1"), [5, 3, 0.5, 0.1]);
    assert.deepEqual(row("1E2,2e+0,0.25,7"), [100, 2, 0.25, 7]);
  });

  it("refuses bad fields, naming the feature", () => {
    const cases: [string, RegExp][] = [
      [
        "abc,3.5,1.4,0.2",
        /^sepal_length: must be a finite number of centimetres, got the string "abc"/,
      ],
      ["5.1,,1.4,0.2", /^sepal_width: is missing/],
      ["5.1,3.5,NaN,0.2", /^petal_length: .*got the string "NaN"/],
      ["5.1,3.5,1.4,Infinity", /^petal_width: .*got the string "Infinity"/],
      ["5.1,3.5,1.4,-0.2", /^petal_width: must be greater than 0 cm, got -0.2/],
      ["0,3.5,1.4,0.2", /^sepal_length: must be greater than 0 cm, got 0/],
      ["5.1,0x10,1.4,0.2", /^sepal_width: .*got the string "0x10"/],
      ["5.1,3.5,1.4,-0", /^petal_width: must be greater than 0 cm, got -0$/],
      ["5.1,3.5,0.000,0.2", /^petal_length: must be greater than 0 cm, got 0$/],
    ];
    for (const [line, message] of cases) refuses(() => row(line), message);
  });

  it("refuses a number a double cannot hold, naming the feature and the number sent", () => {
    const cases: [string, RegExp][] = [
      [
        "5.1,3.5,1.4,1e999",
        /^petal_width: 1e999 is over .*the largest double: it would read as Infinity/,
      ],
      [
        "1e-999,3.5,1.4,0.2",
        /^sepal_length: 1e-999 is under .*the smallest normal double: it would read as 0;/,
      ],
      ["5.1,-1e-999,1.4,0.2", /^sepal_width: -1e-999 is under .* it would read as -0;/],
      ["5.1,3.5,1e-320,0.2", /^petal_length: 1e-320 is under .* a subnormal double/],
      ['5.1,3.5,1.4,"1E+400"', /^petal_width: 1E\+400 is over /],
    ];
    for (const [line, message] of cases) refuses(() => row(line), message);
    // in a header's column order, the feature the column holds is named
    refuses(
      () => csvRecordToRow(["1", "1e999", "1", "1"], "line 2", [1, 0, 2, 3]),
      /^line 2\.sepal_length: 1e999 is over/,
    );
  });

  it("refuses a row of the wrong width", () => {
    refuses(() => row("5.1,3.5,1.4"), /exactly 4 values/, /got 3/);
    refuses(() => row("5.1,3.5,1.4,0.2,7"), /exactly 4 values/, /got 5/);
    refuses(() => csvRecordToRow([], "line 9"), /^line 9: a CSV row holds exactly 4 values/);
  });
});

describe("csv: header", () => {
  it("tells a data line (undefined) from a header", () => {
    assert.equal(csvHeader(["5.1", "3.5", "1.4", "0.2"]), undefined);
    // numbers and empty fields only: data, refused as data if it is a bad row
    assert.equal(csvHeader(["5.1", "", "-1", "1e999", "7"]), undefined);
    assert.deepEqual(csvHeader([...FEATURES]), [0, 1, 2, 3]);
    assert.deepEqual(csvHeader(FEATURES.map((f) => f.toUpperCase())), [0, 1, 2, 3]);
  });

  it("refuses a line that mixes numbers with other text: it is neither, and sets no order", () => {
    const cases: [string[], string][] = [
      [["sepal_length", "3.5", "1.4", "0.2"], '"sepal_length"'],
      [["5.1", "3.5", "1.4", "0.2x"], '"0.2x"'],
      [
        ["1e5", "petal_length", "sepal_width", "petal_width"],
        '"petal_length", "sepal_width", "petal_width"',
      ],
      [["5.1", "NaN", "", "0.2"], '"NaN"'],
    ];
    for (const [fields, names] of cases) {
      assert.throws(
        () => csvHeader(fields),
        (error: unknown) =>
          error instanceof InputError &&
          error.message ===
            `mixes numbers with other text (${names}), so it is neither a header nor a row of numbers`,
      );
    }
  });

  it("reads the columns in any order (property)", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
        fc.tuple(...FEATURES.map(() => fc.double({ min: 1e-3, max: 1e3, noNaN: true }))),
        (permutation, values) => {
          // column c of the file holds feature permutation[c]
          const header = permutation.map((f) => FEATURES[f] as string);
          const order = csvHeader(header);
          assert.ok(order);
          const fields = permutation.map((f) => String(values[f]));
          assert.deepEqual(csvRecordToRow(fields, "", order), values);
        },
      ),
    );
  });

  it("refuses a header that does not name the four features once each", () => {
    for (const fields of [
      ["a", "b"],
      ["sepal_length", "sepal_width", "petal_length"],
      ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"],
      ["sepal_length", "sepal_length", "petal_length", "petal_width"],
      ["sepal length", "sepal width", "petal length", "petal width"],
    ]) {
      refuses(
        () => csvHeader(fields),
        /^header: a header names exactly sepal_length, sepal_width, petal_length, petal_width/,
        new RegExp(`got ${fields.join(", ")}`),
      );
    }
  });
});

describe("csv: numbers round-trip (property)", () => {
  it("any positive finite double printed by String() reads back as the same double", () => {
    const positive = fc.double({ min: MIN_NORMAL, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.tuple(positive, positive, positive, positive), (values) => {
        assert.deepEqual(row(values.map(String).join(",")), values);
      }),
    );
  });

  it("never throws anything but InputError on any line of text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.array(fc.oneof(fc.double().map(String), fc.string())).map((a) => a.join(",")),
        ),
        (line) => {
          try {
            const fields = splitCsvLine(line);
            if (csvHeader(fields) === undefined) {
              const values = csvRecordToRow(fields);
              for (const x of values) assert.ok(Number.isFinite(x) && x > 0);
            }
          } catch (error) {
            assert.ok(
              error instanceof InputError,
              `threw ${String(error)} for ${JSON.stringify(line)}`,
            );
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
