/**
 * Structure-aware generators for the request parsers: measurements spelled every way a client
 * might (and many it should not, numbers a double cannot hold among them), rows and batches in
 * every accepted shape and near misses, JSON text that JSON.stringify never writes (keys given
 * twice, objects of many keys, deep nesting), CSV and JSON-lines bodies, header values, and
 * byte-level mutations of all of them.
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
      // a double cannot hold these: over and under its range, subnormal, zero spelled long
      "1e-999",
      "-1e-999",
      "1E+400",
      "1e-320",
      "0e-999",
      "0.000e5",
      "2.2250738585072014e-308",
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

/** A number literal as JSON text, of the kinds a double cannot hold and of the usual kind. */
const jsonLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "1e-999",
    "-1e-999",
    "1e999",
    "1E+400",
    "1e-320",
    "5e-324",
    "0e-999",
    "-0",
    "5.1",
  ),
  fc.constantFrom(`0.${"0".repeat(400)}1`, "9".repeat(400), "1".repeat(300)),
  fc.double({ min: 0.01, max: 10, noNaN: true }).map(String),
);

/** A row as JSON text: every value a literal, some keys given twice or spelled with escapes. */
const rowText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.tuple(jsonLiteral, jsonLiteral, jsonLiteral, jsonLiteral), fc.boolean())
    .map(([values, asArray]) =>
      asArray
        ? `[${values.join(",")}]`
        : `{${FEATURES.map((name, i) => `"${name}":${values[i]}`).join(",")}}`,
    ),
  fc
    .tuple(
      fc.nat(3),
      // the same key again, perhaps with a character spelled as an escape
      fc.constantFrom(["", ""], ["s", "\\u0073"], ["_", "\\u005f"]),
      jsonLiteral,
      fc.boolean(),
    )
    .map(([twice, [plain, escaped], literal, last]) => {
      const name = FEATURES[twice] as string;
      const spelled = plain === "" ? name : name.replace(plain, escaped);
      const fields = FEATURES.map((f, i) => `"${f}":${i + 1}`);
      fields.splice(last ? fields.length : twice, 0, `"${spelled}":${literal}`);
      return `{${fields.join(",")}}`;
    }),
);

/** An object of many keys (a Set keeps them past 16), with or without one given twice. */
const manyKeysText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 10, max: 60 }), fc.option(fc.nat(), { nil: undefined }))
  .map(([count, repeat]) => {
    const keys = Array.from({ length: count }, (_, i) => `"k${i}":${i}`);
    if (repeat !== undefined) keys.push(`"k${repeat % count}":0`);
    return `{${keys.join(",")}}`;
  });

/** Nesting around a row, as deep as MAX_JSON_DEPTH and past it, brackets in strings too. */
const deepText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom("[", '{"a":'), fc.boolean())
  .map(([depth, open, closed]) => {
    const close = open === "[" ? "]" : "}";
    const inner = '"[[[{{{\\"]]]"';
    return `${open.repeat(depth)}${inner}${closed ? close.repeat(depth) : ""}`;
  });

/** A key JSON.parse refuses: an escape that is none. */
const badEscapeText = fc.constantFrom('{"sepal\\qlength":1}', '{"\\u00zz":1,"a":2}');

/** JSON text JSON.stringify never writes, whole or as a batch's item. */
const unusualJsonText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(rowText, manyKeysText, deepText, badEscapeText),
    fc.constantFrom("row", "batch", "instances"),
  )
  .map(([text, where]) =>
    where === "row" ? text : where === "batch" ? `[[1,2,3,4],${text}]` : `{"instances":[${text}]}`,
  );

export const jsonBodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: mutated(jsonBodyValue.map((v) => JSON.stringify(v) ?? "null")) },
  { weight: 3, arbitrary: mutated(unusualJsonText) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 10_001, max: 10_002 })
      .map((n) => JSON.stringify(Array.from({ length: n }, () => [1, 1, 1, 1]))),
  },
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
  // the header /invocations passes over as a body's first line (batch transform's first mini-batch)
  { weight: 1, arbitrary: fc.constant(FEATURES.join(",")) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      " ",
      '"5.1,3.5,1.4,0.2',
      '"a""b",1,1,1',
      // csv-parse ends a record at a bare CR: one line, two records
      '"5.1",3.5\r"1.4",0.2',
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

export const jsonLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: mutated(row.map((r) => JSON.stringify(r) ?? "null")) },
  { weight: 1, arbitrary: mutated(fc.oneof(rowText, deepText, manyKeysText)) },
);

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
