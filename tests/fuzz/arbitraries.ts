/**
 * Structure-aware generators for the request parsers: measurements spelled every way a client
 * might (and many it should not), rows and batches in every accepted shape and near misses,
 * CSV and JSON-lines bodies, header values, and byte-level mutations of all of them.
 */
import fc from "fast-check";
import { FEATURES } from "../../core/features.js";

/** Number spellings, good and bad, including the long digit runs that froze the CSV regex. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0.01, max: 10, noNaN: true }).map(String) },
  { weight: 2, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "1.",
      ".5",
      "+1e-1",
      "1E2",
      "2e+0",
      "1e999",
      "-0",
      "0",
      "0x10",
      "NaN",
      "Infinity",
      "",
      " 5 ",
      "٣",
      "1..2",
      ".",
      "+",
      "e5",
      "1e",
      "5.1e-3",
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom("", "x", ".", "e", "1", "e+"))
      .map(([n, tail]) => "1".repeat(n) + tail),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A JSON measurement value: mostly good, then every wrong type. */
export const measurement: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0.01, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.double() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -1, 1e308, Number.MIN_VALUE, null, true, "5.1", [], {}),
  },
  { weight: 1, arbitrary: numberText },
);

const featureName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FEATURES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("species", "Sepal_Length", "petal width", "instances", "__proto__"),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

export const flowerObject: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(...FEATURES.map(() => measurement))
      .map((values) => Object.fromEntries(FEATURES.map((f, i) => [f, values[i]]))),
  },
  { weight: 1, arbitrary: fc.dictionary(featureName, measurement, { maxKeys: 6 }) },
);

export const flowerArray: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(measurement, measurement, measurement, measurement) },
  { weight: 1, arbitrary: fc.array(measurement, { maxLength: 6 }) },
);

export const row: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: flowerObject },
  { weight: 4, arbitrary: flowerArray },
  { weight: 1, arbitrary: fc.constantFrom(null, 5, "row", true) },
);

/** A /predict or /invocations JSON value in every shape the API reads, and near misses. */
export const jsonBodyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: row },
  { weight: 3, arbitrary: fc.array(row, { maxLength: 40 }) },
  { weight: 3, arbitrary: fc.array(row, { maxLength: 40 }).map((instances) => ({ instances })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(row, { maxLength: 5 }), fc.string({ maxLength: 6 }), fc.jsonValue())
      .map(([instances, key, v]) => ({ instances, [key || "x"]: v })),
  },
  { weight: 1, arbitrary: fc.record({ instances: fc.oneof(fc.jsonValue(), row) }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 10_001, max: 10_003 })
      .map((n) => Array.from({ length: n }, () => 1)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 10_001, max: 10_002 })
      .map((n) => ({ instances: Array.from({ length: n }, () => [1, 1, 1, 1]) })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

/** Byte-level damage to a text: truncation, a character inserted or replaced. */
export function mutated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const damage = fc.oneof(
    fc.nat().map((at) => (s: string) => s.slice(0, at % (s.length + 1))),
    fc
      .tuple(fc.nat(), fc.string({ unit: "binary", minLength: 1, maxLength: 3 }))
      .map(([at, c]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + c + s.slice(i);
      }),
    fc
      .tuple(fc.nat(), fc.constantFrom('"', ",", "\n", "{", "]", "\u0000", "\uFFFD", " "))
      .map(([at, c]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + c + s.slice(i + 1);
      }),
  );
  return fc.oneof(
    { weight: 3, arbitrary: text },
    { weight: 1, arbitrary: fc.tuple(text, damage).map(([s, f]) => f(s)) },
  );
}

export const jsonBodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: mutated(jsonBodyValue.map((v) => JSON.stringify(v) ?? "null")) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "   ",
      "\u001f\ufffd\b",
      "{",
      "[1,2",
      "null",
      " ".repeat(1024 * 1024 + 1),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
);

const csvField: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: numberText },
  { weight: 1, arbitrary: numberText.map((n) => `"${n}"`) },
  { weight: 1, arbitrary: featureName },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat({ max: 40 }), numberText).map(([n, t]) => " ".repeat(n) + t),
  },
);

export const csvLine: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(csvField, csvField, csvField, csvField).map((f) => f.join(",")),
  },
  { weight: 2, arbitrary: fc.array(csvField, { maxLength: 7 }).map((f) => f.join(",")) },
  {
    weight: 1,
    arbitrary: fc
      .shuffledSubarray([...FEATURES], { minLength: 3, maxLength: 4 })
      .map((f) => f.join(",")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      " ",
      '"5.1,3.5,1.4,0.2',
      '"a""b",1,1,1',
      `5.1,3.5,1.4,0.2${" ".repeat(4100)}`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** A line-based body: lines, \n or \r\n, with or without a last newline. */
export function linesBody(line: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(line, { minLength: 0, maxLength: 30 }),
      fc.constantFrom("\n", "\r\n"),
      fc.boolean(),
    )
    .map(([lines, eol, last]) => lines.join(eol) + (last ? eol : ""));
}

export const jsonLine: fc.Arbitrary<string> = mutated(row.map((r) => JSON.stringify(r) ?? "null"));

const token = fc.oneof(
  fc.constantFrom(
    "application",
    "text",
    "json",
    "csv",
    "jsonlines",
    "x-jsonlines",
    "jsonl",
    "*",
    "plain",
  ),
  fc.string({ unit: fc.constantFrom(...'abcxyz-+.!#*/ ;="\t,'), maxLength: 10 }),
);

/** Content-Type and Accept values: real ones, parameters, q-values, junk, long runs of spaces. */
export const mediaTypeHeader: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "application/json",
      "text/csv",
      "application/jsonlines",
      "application/x-jsonlines",
      "application/jsonl",
      "*/*",
      "",
      "text/plain",
      "application/json; charset=utf-8",
      "text/csv;charset=UTF-16",
      'application/json; charset="us-ascii"',
      "application/json;charset=latin1",
      "json",
      "foo bar",
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        token,
        token,
        fc.array(
          fc.tuple(
            fc.constantFrom("charset", "q", "header", "x", "CHARSET"),
            fc.oneof(token, fc.constantFrom("utf-8", "utf-16", "0.5", '"utf-8"', "1")),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([type, sub, params]) =>
        [`${type}/${sub}`, ...params.map(([k, v]) => `${k}=${v}`)].join("; "),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.constantFrom(
          "text/csv;q=0.5",
          "application/json;q=0",
          "application/*",
          "*/*;q=0.1",
          "text/html",
        ),
        { maxLength: 4 },
      )
      .map((list) => list.join(", ")),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("x", ";", "/"))
      .map(([n, tail]) => `a/a${" ".repeat(n)}${tail}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

export const contentEncoding: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    "identity",
    "IDENTITY",
    "",
    "gzip",
    "br",
    "deflate",
    "gzip, identity",
    " identity ",
  ),
  fc.string({ maxLength: 10 }),
);
