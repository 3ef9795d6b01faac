/**
 * fast-check arbitraries for requests a front door must survive: arbitrary JSON, near-miss
 * measurements, numbers JSON.stringify never writes, random text and bytes, deep nesting, odd
 * content types, Accept headers, methods and paths.
 */
import fc from "fast-check";
import { FEATURES } from "../../core/features.js";

/** Values a measurement might be sent as: good, borderline and wrong. */
export const measurementValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.double({ min: 0.1, max: 10, noNaN: true }), weight: 4 },
  fc.constantFrom(
    0,
    -0,
    -1,
    -5.1,
    1e308,
    -1e308,
    1e-320,
    5e-324,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53 + 1,
    Number.NaN, // JSON.stringify writes null
    Number.POSITIVE_INFINITY,
  ),
  fc.constantFrom("5.1", "NaN", "Infinity", "-Infinity", "", " ", "1e999", "0x10", "five", "1,5"),
  fc.constantFrom(null, true, false, [], {}, [5.1], { value: 5.1 }),
  fc.double(),
  fc.integer(),
);

const oddKey = fc.constantFrom(
  "Sepal_Length",
  "sepal length",
  "species",
  "petalWidth",
  "__proto__",
  "constructor",
  "toString",
  "instances",
  "",
);

/** A measurement object with fields missing, extra, or of the wrong kind. */
export const nearMissObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      Object.fromEntries(FEATURES.map((name) => [name, measurementValue])) as Record<
        string,
        fc.Arbitrary<unknown>
      >,
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof(oddKey, fc.string({ maxLength: 12 })), measurementValue, {
      maxKeys: 2,
    }),
    fc.boolean(),
  )
  .map(([fields, extra, withExtra]) => (withExtra ? { ...extra, ...fields } : fields));

export const nearMissRow: fc.Arbitrary<unknown> = fc.oneof(
  nearMissObject,
  fc.array(measurementValue, { minLength: 0, maxLength: 6 }),
  fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: 4, maxLength: 4 }),
);

/** A body value (to be JSON-encoded) shaped like a request, mostly wrong somewhere. */
export const nearMissValue: fc.Arbitrary<unknown> = fc.oneof(
  nearMissRow,
  fc.array(nearMissRow, { maxLength: 5 }),
  fc.record({ instances: fc.oneof(fc.array(nearMissRow, { maxLength: 5 }), measurementValue) }),
  fc.record({ instances: fc.array(nearMissRow, { maxLength: 3 }), extra: measurementValue }),
);

/** JSON text with numbers JSON.stringify never writes (1e999 parses to Infinity, 1e-400 to 0). */
const rawNumberText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      "1e999",
      "-1e999",
      "-0",
      "1e-400",
      "0.0",
      "00",
      "+1",
      ".5",
      "5.",
      "NaN",
      "Infinity",
      "1E2",
      "5.1e-0",
    ),
    fc.nat({ max: 3 }),
    fc.boolean(),
  )
  .map(([literal, position, asArray]) => {
    const values = ["5.1", "3.5", "1.4", "0.2"];
    values[position] = literal;
    return asArray
      ? `[${values.join(",")}]`
      : `{${FEATURES.map((name, i) => `"${name}":${values[i]}`).join(",")}}`;
  });

/** Very deep nesting, balanced or not. */
const deepText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.nat({ max: 4 }))
  .map(([depth, kind]) => {
    switch (kind) {
      case 0:
        return "[".repeat(depth) + "]".repeat(depth);
      case 1:
        return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      case 2:
        return `${'{"instances":'.repeat(depth)}[]${"}".repeat(depth)}`;
      case 3:
        return `{"instances":[${"[".repeat(depth)}5.1,3.5,1.4,0.2${"]".repeat(depth)}]}`;
      default:
        return "[".repeat(depth);
    }
  });

/** A text body: JSON, near-miss JSON, odd number literals, deep nesting, or any text at all. */
export const textBody: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null"), weight: 3 },
  { arbitrary: nearMissValue.map((v) => JSON.stringify(v)), weight: 4 },
  { arbitrary: rawNumberText, weight: 2 },
  { arbitrary: deepText, weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\n",
      "null",
      "sepal_length=5.1&sepal_width=3.5&petal_length=1.4&petal_width=0.2",
      "5.1,3.5,1.4,0.2",
      "\uFEFF{}",
      '{"instances":[]}',
      '{"instances":null}',
      "[[]]",
    ),
    weight: 1,
  },
);

/** CSV-ish and JSON-lines-ish text, for /invocations. */
export const lineBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc
          .array(measurementValue, { minLength: 0, maxLength: 6 })
          .map((values) =>
            values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(","),
          ),
        nearMissRow.map((row) => JSON.stringify(row)),
        fc.constantFrom("", " ", '"5.1",3.5,1.4,0.2', '"unterminated,1,2,3', "a,b,c,d"),
      ),
      { minLength: 0, maxLength: 6 },
    ),
    fc.constantFrom("\n", "\r\n", "\r"),
    fc.boolean(),
  )
  .map(([lines, eol, trailing]) => lines.join(eol) + (trailing ? eol : ""));

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      undefined,
      "application/json",
      "text/csv",
      "application/jsonlines",
      "text/csv; charset=utf-8",
    ),
    weight: 3,
  },
  fc.constantFrom(
    undefined,
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "text/csv",
    "text/csv; charset=utf-8",
    "text/csv; header=present",
    "application/jsonlines",
    "application/jsonl",
    "application/x-jsonlines",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/octet-stream",
    "application/xml",
    "",
    "json",
    "foo bar",
    "application/json; charset=",
    "*/*",
    ";",
  ),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
);

const mediaRange = fc.constantFrom(
  "application/json",
  "text/csv",
  "application/jsonlines",
  "*/*",
  "text/*",
  "application/*",
  "text/html",
  "application/xml",
  "image/png",
);

export const accept: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  mediaRange,
  // q-value lists, with odd q values
  fc
    .array(
      fc.tuple(
        mediaRange,
        fc.constantFrom("", ";q=0", ";q=0.5", ";q=1", ";q=abc", ";q=", ";level=1"),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((parts) => parts.map(([range, q]) => range + q).join(", ")),
  fc.constantFrom("", ",", ";;;", "*", "/", "a/b/c", "text/csv;q=0"),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
);

export const method: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom("POST", "GET"), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      "PUT",
      "PATCH",
      "DELETE",
      "OPTIONS",
      "HEAD",
      "TRACE",
      "PROPFIND",
      "post",
      "Get",
    ),
    weight: 2,
  },
);

/** Printable ASCII, for header values. */
export const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
