/**
 * The pass over JSON text before JSON.parse (core/json-scan.ts): nesting, a key given twice, a
 * number a double cannot hold; each named by its path as core/input names fields. And the JSON
 * line reader that uses it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { InputError } from "../../core/input.js";
import { MAX_JSON_DEPTH, scanJson } from "../../core/json-scan.js";
import { parseJsonLine } from "../../core/lines.js";

const GOOD = '"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2';

/** The problem the scan finds in `text`, as "path: problem". */
const problemIn = (text: string) => scanJson(text).problem?.message;

/** Whether a JSON value holds a subnormal number, which JSON.stringify writes as it is (5e-324). */
function hasSubnormal(value: unknown): boolean {
  if (typeof value === "number") return value !== 0 && Math.abs(value) < 2 ** -1022;
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some(hasSubnormal);
}

/** JSON values without subnormal numbers: what the scan must find nothing in. */
const cleanJson = (maxDepth?: number) =>
  fc.jsonValue(maxDepth === undefined ? {} : { maxDepth }).filter((v) => !hasSubnormal(v));

describe("json-scan: keys given twice", () => {
  it("names the key given twice, by its path", () => {
    assert.equal(
      problemIn('{"sepal_length":1,"sepal_length":9,"sepal_width":3.5}'),
      "sepal_length: appears twice in one object; send each field once (JSON parsers keep only one of them)",
    );
    assert.match(
      problemIn(`{"instances":[{${GOOD}},{${GOOD},"petal_width":2}]}`) as string,
      /^instances\[1\]\.petal_width: appears twice in one object/,
    );
    assert.match(
      problemIn(`[[1,2,3,4],{${GOOD},"sepal_width":1}]`) as string,
      /^\[1\]\.sepal_width: appears twice/,
    );
    assert.match(
      problemIn('{"instances":[],"instances":[]}') as string,
      /^instances: appears twice/,
    );
  });

  it("compares keys as JSON.parse reads them: escapes decoded", () => {
    assert.match(
      problemIn('{"sepal_length":1,"sepal\\u005flength":9}') as string,
      /^sepal_length: appears twice/,
    );
    assert.match(problemIn('{"a\\"b":1,"a\\u0022b":2}') as string, /^a"b: appears twice/);
    assert.equal(problemIn('{"a\\\\":1,"a":2}'), undefined);
  });

  it("tells keys from values and objects apart: the same key in two objects, or as a value, is no repeat", () => {
    for (const text of [
      `[{${GOOD}},{${GOOD}}]`,
      '{"a":"a","b":"a"}',
      '{"a":{"a":{"a":1}}}',
      '{"a":[{"b":1},{"b":1}],"b":2}',
      '{"a":"\\"a\\":1,\\"a\\":2"}',
      '["a","a"]',
    ])
      assert.equal(problemIn(text), undefined, text);
  });

  it("finds a repeat that is inserted anywhere in any JSON value (property)", () => {
    const object = fc.dictionary(fc.string({ maxLength: 6 }), cleanJson(2), {
      minKeys: 1,
      maxKeys: 6,
    });
    fc.assert(
      fc.property(object, fc.nat(), cleanJson(2), (value, pick, extra) => {
        const keys = Object.keys(value);
        const key = keys[pick % keys.length] as string;
        const text = JSON.stringify(value);
        const repeated = `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(extra)}}`;
        assert.equal(scanJson(repeated).problem?.path, key);
        assert.match(problemIn(repeated) as string, /appears twice in one object/);
      }),
    );
  });
});

describe("json-scan: numbers a double cannot hold", () => {
  it("names the field and the number sent, in objects and in row arrays", () => {
    const cases: [string, RegExp][] = [
      [
        `{${GOOD.replace("5.1", "1e-999")}}`,
        /^sepal_length: 1e-999 is under .* it would read as 0;/,
      ],
      [
        `{${GOOD.replace("0.2", "1e999")}}`,
        /^petal_width: 1e999 is over .* it would read as Infinity;/,
      ],
      ["[5.1,3.5,1e-320,0.2]", /^petal_length: 1e-320 is under .* subnormal/],
      [
        '{"instances":[[5.1,3.5,1.4,0.2],[5.1,-1E+999,1.4,0.2]]}',
        /^instances\[1\]\.sepal_width: -1E\+999 is over/,
      ],
      [
        `[{${GOOD}},{${GOOD.replace("3.5", "35e-99999")}}]`,
        /^\[1\]\.sepal_width: 35e-99999 is under/,
      ],
      [`{"instances":[1e999]}`, /^instances\[0\]: 1e999 is over/],
      [`[1,2,3,4,1e999]`, /^\[4\]: 1e999 is over/],
      ["1e999", /^1e999 is over/],
      [
        `[0.${"0".repeat(400)}1,1,1,1]`,
        /^sepal_length: 0\.000000000000000000… \(403 characters\) is under/,
      ],
    ];
    for (const [text, message] of cases) assert.match(problemIn(text) ?? "none", message, text);
  });

  it("leaves numbers that read as sent to the row check: 0, -0, the extremes", () => {
    for (const text of [
      "[0,-0,0.0,0e999]",
      "[2.2250738585072014e-308,1.7976931348623157e308,5e-300,1e300]",
      `[${"1".repeat(300)}]`,
      '{"a":"1e999","1e-999":1}',
    ])
      assert.equal(problemIn(text), undefined, text);
  });

  it("finds nothing in what JSON.stringify writes but subnormals, and nests as deep as the value (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const scan = scanJson(JSON.stringify(value));
        assert.equal(scan.tooDeep, depthOf(value) > MAX_JSON_DEPTH);
        if (!scan.tooDeep)
          assert.equal(scan.problem?.problem.includes("subnormal") ?? false, hasSubnormal(value));
      }),
      { numRuns: 2_000 },
    );
  });
});

/** How deep a value nests: 0 for a scalar, 1 for [] or {}. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe("json-scan: nesting", () => {
  it("stops at the first level past MAX_JSON_DEPTH, counting no bracket inside a string", () => {
    assert.equal(
      scanJson(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`).tooDeep,
      false,
    );
    assert.equal(scanJson(`${"[".repeat(MAX_JSON_DEPTH + 1)}`).tooDeep, true);
    assert.equal(scanJson(`["[[[[[[[[[[[[[[", {"{{{{{{{{{{": "\\"[[[[[[[[[[["}]`).tooDeep, false);
  });

  it("stays within its input on text that is not JSON at all (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]":,\\-1e.a ') }), (text) => {
        const scan = scanJson(text);
        assert.ok(scan.problem === undefined || scan.problem instanceof InputError);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("lines: a JSON line", () => {
  it("is checked as a JSON body is: a key given twice, a number out of range, too deep", () => {
    assert.throws(
      () =>
        parseJsonLine(
          '{"sepal_length":1,"sepal_length":9,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}',
        ),
      (error: unknown) =>
        error instanceof InputError &&
        error.path === "sepal_length" &&
        /appears twice/.test(error.problem),
    );
    assert.throws(
      () => parseJsonLine("[5.1,3.5,1.4,1e-999]"),
      /^InputError: petal_width: 1e-999 is under/,
    );
    assert.throws(
      () => parseJsonLine(`${"[".repeat(20)}${"]".repeat(20)}`),
      /nests deeper than 8 levels/,
    );
    // not JSON is reported as such, before what the scan may have seen in the broken text
    assert.throws(() => parseJsonLine('{"a":1,"a":2'), /not valid JSON/);
    assert.deepEqual(parseJsonLine(`{${GOOD}}`), [5.1, 3.5, 1.4, 0.2]);
  });
});
