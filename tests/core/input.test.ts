/** The JSON edge (core/input.ts): untrusted values in, rows of 4 positive finite numbers out, or an InputError naming the field. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { FEATURES } from "../../core/features.js";
import {
  InputError,
  isBatch,
  MIN_NORMAL,
  numberLiteralProblem,
  parseBatch,
  parseRow,
  parseRows,
} from "../../core/input.js";

const GOOD = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
const GOOD_ROW = [5.1, 3.5, 1.4, 0.2];

/** Assert that parsing `value` throws an InputError whose message matches every pattern. */
function refuses(value: unknown, ...patterns: RegExp[]): InputError {
  let caught: unknown;
  try {
    parseRows(value);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

const withValue = (field: number, value: unknown): unknown[] => {
  const row: unknown[] = [...GOOD_ROW];
  row[field] = value;
  return row;
};

describe("input: accepted forms", () => {
  it("takes one flower as an object, in feature order whatever the key order", () => {
    const shuffled = { petal_width: 0.2, sepal_width: 3.5, petal_length: 1.4, sepal_length: 5.1 };
    assert.deepEqual(parseRows(GOOD), { rows: [GOOD_ROW], batch: false });
    assert.deepEqual(parseRows(shuffled), { rows: [GOOD_ROW], batch: false });
  });

  it("takes one flower as an array of four numbers", () => {
    assert.deepEqual(parseRows(GOOD_ROW), { rows: [GOOD_ROW], batch: false });
  });

  it("takes a batch of objects and arrays", () => {
    const result = parseRows([GOOD, GOOD_ROW, { ...GOOD, petal_width: 2.5 }]);
    assert.equal(result.batch, true);
    assert.deepEqual(result.rows, [GOOD_ROW, GOOD_ROW, [5.1, 3.5, 1.4, 2.5]]);
    assert.equal(isBatch([GOOD_ROW]), true);
    assert.equal(isBatch(GOOD_ROW), false);
  });

  it("parses a batch of 100,000 rows", () => {
    const rows = Array.from({ length: 100_000 }, (_, i) =>
      i % 2 ? { ...GOOD, sepal_length: 4 + (i % 40) / 10 } : [4 + (i % 40) / 10, 3, 4, 1],
    );
    const result = parseRows(rows);
    assert.equal(result.batch, true);
    assert.equal(result.rows.length, 100_000);
    assert.deepEqual(result.rows[99_999], [4 + 39 / 10, 3.5, 1.4, 0.2]);
    assert.deepEqual(result.rows[2], [4.2, 3, 4, 1]);
  });

  it("returns exactly the numbers it was given, tiny and huge alike (property)", () => {
    // a number is taken as it is, subnormal or not: underflow is a property of text (below)
    const measurement = fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.tuple(measurement, measurement, measurement, measurement), (row) => {
        assert.deepEqual(parseRow(row), row);
        const object = Object.fromEntries(FEATURES.map((name, f) => [name, row[f]]));
        assert.deepEqual(parseRow(object), row);
      }),
    );
  });
});

describe("input: refused values name the field and say what is wrong", () => {
  it("a row of the wrong length", () => {
    refuses([1, 2, 3], /exactly 4 numbers/, /got 3/);
    refuses([1, 2, 3, 4, 5], /exactly 4 numbers/, /got 5/);
  });

  it("an empty array, and an empty batch", () => {
    refuses([], /no rows/);
    assert.throws(() => parseBatch([]), /no rows/);
    assert.throws(() => parseBatch(GOOD), /expected an array of rows, got an object/);
  });

  for (const [f, name] of FEATURES.entries()) {
    it(`bad values in ${name}, as an array and as an object`, () => {
      const cases: [unknown, RegExp][] = [
        [Number.NaN, /must be a finite number of centimetres, got NaN/],
        [Number.POSITIVE_INFINITY, /must be a finite number of centimetres, got Infinity/],
        [Number.NEGATIVE_INFINITY, /must be a finite number of centimetres, got -Infinity/],
        ["5.1", /must be a finite number of centimetres, got the string "5.1"/],
        ["abc", /got the string "abc"/],
        ["", /got the string ""/],
        [null, /got null/],
        [undefined, /is missing/],
        [true, /got boolean true/],
        [false, /got boolean false/],
        [-1, /must be greater than 0 cm, got -1/],
        [-1e-300, /must be greater than 0 cm/],
        [0, /must be greater than 0 cm, got 0$/],
        [-0, /must be greater than 0 cm, got -0$/],
        [10n, /got bigint 10/],
      ];
      // an array or object in the first place makes the whole value read as a batch (see below)
      if (f > 0) cases.push([[5.1], /got an array of 1/], [{ value: 5.1 }, /got an object/]);
      for (const [value, problem] of cases) {
        const error = refuses(withValue(f, value), new RegExp(`^${name}: `), problem);
        assert.equal(error.path, name);
        refuses({ ...GOOD, [name]: value }, new RegExp(`^${name}: `), problem);
      }
    });

    it(`an object without ${name}`, () => {
      const { [name]: _dropped, ...rest } = GOOD;
      refuses(rest, new RegExp(`^${name}: is missing`));
    });
  }

  it("a number literal a double cannot hold says what was sent and what it would read as", () => {
    const cases: [string, RegExp][] = [
      [
        "1e999",
        /^1e999 is over 1\.7976931348623157e\+308, the largest double: it would read as Infinity/,
      ],
      ["-1e999", /^-1e999 is over .* it would read as -Infinity/],
      [
        "1e-999",
        /^1e-999 is under 2\.2250738585072014e-308, the smallest normal double: it would read as 0/,
      ],
      ["-1E-999", /^-1E-999 is under .* it would read as -0/],
      [
        "1e-320",
        /^1e-320 is under .* it would read as a subnormal double, with fewer significant digits than were sent/,
      ],
      [`0.${"0".repeat(400)}1`, /^0\.000000000000000000… \(403 characters\) is under /],
      [`1${"0".repeat(400)}`, /^10000000000000000000… \(401 characters\) is over /],
    ];
    for (const [text, message] of cases) {
      const problem = numberLiteralProblem(text);
      assert.ok(problem, text);
      assert.match(problem, message);
      assert.match(problem, /send the measurement in centimetres/);
    }
    assert.equal(MIN_NORMAL, 2 ** -1022);
    assert.match(numberLiteralProblem("2.225073858507201e-308") as string, /subnormal/);
    // what reads as the value sent is for the row check to judge, not an overflow or underflow
    for (const text of [
      "0",
      "-0",
      "0.000",
      "0e999",
      "5.1",
      "-5.1",
      "2.2250738585072014e-308",
      "1.7976931348623157e308",
      "abc",
      "",
    ])
      assert.equal(numberLiteralProblem(text), undefined, text);
  });

  it("an object with an extra key", () => {
    refuses({ ...GOOD, species: "setosa" }, /unknown field "species"/, /exactly sepal_length/);
    refuses({ ...GOOD, Petal_Width: 1 }, /unknown field "Petal_Width"/);
  });

  it("a value that is not a row at all", () => {
    for (const [value, what] of [
      [null, /got null$/],
      [undefined, /got undefined$/],
      [5.1, /got 5.1$/],
      ["5.1,3.5,1.4,0.2", /got the string "5.1,3.5,1.4,0.2"$/],
      [true, /got boolean true$/],
    ] as const) {
      refuses(
        value,
        /^expected an object \{sepal_length, sepal_width, petal_length, petal_width\} or an array of 4 numbers/,
        what,
      );
    }
  });

  it("a bad row in a batch, by its index and field", () => {
    const error = refuses([GOOD, GOOD, { ...GOOD, petal_width: "0.2" }], /^\[2\]\.petal_width: /);
    assert.equal(error.path, "[2].petal_width");
    refuses([GOOD_ROW, [1, 2, -3, 4]], /^\[1\]\.petal_length: must be greater than 0 cm, got -3/);
    refuses([GOOD, 5], /^\[1\]: expected an object/);
    refuses([[1], 1, 2, 3], /^\[0\]: a row array holds exactly 4 numbers/);
    refuses([GOOD, [GOOD_ROW]], /^\[1\]\.sepal_length: .*got an array of 4/);
  });

  it("a row whose first value is an array or object, read as a batch", () => {
    refuses([[5.1], 3.5, 1.4, 0.2], /^\[0\]: a row array holds exactly 4 numbers .*got 1/);
    refuses([{ value: 5.1 }, 3.5, 1.4, 0.2], /^\[0\]/);
    refuses({ ...GOOD, sepal_length: [5.1] }, /^sepal_length: .*got an array of 1/);
    refuses({ ...GOOD, sepal_length: { value: 5.1 } }, /^sepal_length: .*got an object/);
  });

  it("a path given by the caller prefixes the message", () => {
    assert.throws(
      () => parseRows([GOOD, { ...GOOD, sepal_width: null }], "instances"),
      (error: InputError) =>
        error instanceof InputError &&
        error.path === "instances[1].sepal_width" &&
        error.message.startsWith("instances[1].sepal_width: must be a finite number"),
    );
    assert.throws(() => parseRow(null, "body"), /^InputError: body: expected an object/);
  });
});

describe("input: parseRows on anything (property)", () => {
  const check = (value: unknown) => {
    let result: ReturnType<typeof parseRows>;
    try {
      result = parseRows(value);
    } catch (error) {
      assert.ok(error instanceof InputError, `threw ${String(error)} for ${fc.stringify(value)}`);
      assert.ok(error.message.length > 0);
      return;
    }
    assert.ok(result.rows.length >= 1);
    for (const row of result.rows) {
      assert.ok(Array.isArray(row) && row.length === 4, `row ${fc.stringify(row)}`);
      for (const x of row) assert.ok(typeof x === "number" && Number.isFinite(x) && x > 0);
    }
  };

  it("either returns rows of 4 positive finite numbers or throws InputError, for any JSON value", () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 2_000 });
  });

  it("… and for any JavaScript value (null prototypes, typed arrays, sparse arrays, bigints, …)", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withNullPrototype: true,
          withObjectString: true,
          withSet: true,
          withSparseArray: true,
          withTypedArray: true,
        }),
        check,
      ),
      { numRuns: 2_000 },
    );
  });

  it("… and for near-misses of a valid row: rows and batches with one value replaced", () => {
    const junk = fc.oneof(fc.anything(), fc.double(), fc.string());
    const row = fc.oneof(
      fc.tuple(fc.nat(3), junk).map(([f, value]) => withValue(f, value)),
      fc
        .tuple(fc.constantFrom(...FEATURES), junk)
        .map(([name, value]) => ({ ...GOOD, [name]: value })),
      fc.constant(GOOD),
      fc.constant(GOOD_ROW),
    );
    fc.assert(fc.property(fc.oneof(row, fc.array(row, { maxLength: 5 })), check), {
      numRuns: 2_000,
    });
  });
});
