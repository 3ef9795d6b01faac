/**
 * The edge: turns untrusted JSON-ish values into rows the core can trust. Accepted forms:
 * one flower as `{sepal_length, sepal_width, petal_length, petal_width}` or as an array of four
 * numbers in that order, or a non-empty array of such flowers. Every value must be a finite
 * number of centimetres greater than 0 and, sent as text, the number its text spells
 * (numberLiteralProblem); anything else is an InputError naming the field.
 */
import * as z from "zod/mini";
import { FEATURES } from "./features.js";
import { safeParseEnglish } from "./zod-english.js";

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    /** Where the problem is, e.g. `instances[3].petal_width`; empty for the whole input. */
    readonly path: string,
    /** What is wrong there and what to send instead. */
    readonly problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Object.is(value, -0)) return "-0";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value === "number" ? "" : `${typeof value} `}${String(value)}`;
}

/** Where a field is: `field` under `prefix` (`instances[3]`), as every error names it. */
export const fieldPath = (prefix: string, field: string): string =>
  prefix ? `${prefix}.${field}` : field;

/**
 * The smallest normal double. Below it a double keeps fewer digits than were sent (IEEE 754
 * calls that underflow) and 1e-999 is 0: no measurement is that small, so a literal that reads
 * as one has lost its value on the way in.
 */
export const MIN_NORMAL = 2 ** -1022;

const IN_CENTIMETRES = "send the measurement in centimetres";

/** A literal as a message shows it: whole when short, else its start and its length. */
const shownLiteral = (text: string) =>
  text.length > 24 ? `${text.slice(0, 20)}… (${text.length} characters)` : text;

const hasNonZeroDigit = (text: string) => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 101 || c === 69) return false; // e E: the exponent does not count
    if (c >= 49 && c <= 57) return true;
  }
  return false;
};

/**
 * Why the number literal `text` (JSON or CSV) cannot be read as the value sent, or undefined:
 * it overflows a double (1e999 reads as Infinity) or underflows it (1e-999 reads as 0, 1e-320
 * as a subnormal). The rule for every input form, checked on the text because JSON.parse and
 * Number() answer 0 or Infinity without a word; `value` is Number(text), when already known.
 */
export function numberLiteralProblem(text: string, value = Number(text)): string | undefined {
  const magnitude = Math.abs(value);
  if (magnitude >= MIN_NORMAL && magnitude <= Number.MAX_VALUE) return undefined;
  if (magnitude === Number.POSITIVE_INFINITY)
    return `${shownLiteral(text)} is over ${Number.MAX_VALUE}, the largest double: it would read as ${value}; ${IN_CENTIMETRES}`;
  // 0, -0 and 0.000 read as sent (the row check refuses them); NaN is not a number literal
  if (Number.isNaN(value) || !hasNonZeroDigit(text)) return undefined;
  const readAs =
    value === 0
      ? describe(value)
      : "a subnormal double, with fewer significant digits than were sent";
  return `${shownLiteral(text)} is under ${MIN_NORMAL}, the smallest normal double: it would read as ${readAs}; ${IN_CENTIMETRES}`;
}

const EMPTY = "no rows: send at least one";
const SHAPE = `an object {${FEATURES.join(", ")}} or an array of 4 numbers in that order`;

const measurement = z
  .number({
    error: (issue) =>
      issue.input === undefined
        ? "is missing"
        : `must be a finite number of centimetres, got ${describe(issue.input)}`,
  })
  .check(z.gt(0, { error: (issue) => `must be greater than 0 cm, got ${describe(issue.input)}` }));

/** One flower as an object of its four measurements (also what the OpenAPI document shows). */
export const rowObject = z.strictObject(
  Object.fromEntries(FEATURES.map((name) => [name, measurement])) as Record<
    (typeof FEATURES)[number],
    typeof measurement
  >,
);

/** One flower as an array of its four measurements, in the order of FEATURES. */
export const rowArray = z.array(measurement).check(
  z.length(FEATURES.length, {
    error: (issue) =>
      `a row array holds exactly ${FEATURES.length} numbers (${FEATURES.join(", ")}), got ${(issue.input as unknown[]).length}`,
  }),
);

function firstIssue(error: z.core.$ZodError, prefix: string): InputError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
    return new InputError(
      prefix,
      `unknown field ${keys}; a row has exactly ${FEATURES.join(", ")}`,
    );
  }
  // a row's issues are one level deep; an array row's index is named by its feature, so
  // [1, 2, -3, 4] reads "petal_length: must be greater than 0 cm"
  const key = issue.path[0];
  const field =
    typeof key === "number" ? FEATURES[key] : key === undefined ? undefined : String(key);
  const path = field === undefined ? prefix : fieldPath(prefix, field);
  return new InputError(path, issue.message);
}

/** One flower, as an object or a 4-array; `path` prefixes error messages. */
export function parseRow(value: unknown, path = ""): number[] {
  if (Array.isArray(value)) {
    const result = safeParseEnglish(rowArray, value);
    if (!result.success) throw firstIssue(result.error, path);
    return result.data;
  }
  if (typeof value === "object" && value !== null) {
    const result = safeParseEnglish(rowObject, value);
    if (!result.success) throw firstIssue(result.error, path);
    const row = result.data;
    return FEATURES.map((name) => row[name]);
  }
  throw new InputError(path, `expected ${SHAPE}, got ${describe(value)}`);
}

/** True when `value` is a batch (an array of rows) rather than one row given as an array. */
export function isBatch(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) && value.length > 0 && typeof value[0] === "object" && value[0] !== null
  );
}

/** A batch: a non-empty array of rows. */
export function parseBatch(value: unknown, path = ""): number[][] {
  if (!Array.isArray(value))
    throw new InputError(path, `expected an array of rows, got ${describe(value)}`);
  if (value.length === 0) throw new InputError(path, EMPTY);
  return value.map((row, i) => parseRow(row, `${path}[${i}]`));
}

/**
 * One row or a batch, told apart by shape; the result says which, so that an adapter can
 * answer a single object for a single row.
 */
export function parseRows(value: unknown, path = ""): { rows: number[][]; batch: boolean } {
  if (Array.isArray(value) && value.length === 0) throw new InputError(path, EMPTY);
  if (isBatch(value)) return { rows: parseBatch(value, path), batch: true };
  return { rows: [parseRow(value, path)], batch: false };
}
