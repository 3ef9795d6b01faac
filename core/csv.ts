/**
 * CSV rows of measurements: one flower per line, no header (SageMaker's text/csv) or, for the
 * CLI, an optional header naming the four features in any order.
 */
import { parse } from "csv-parse/sync";
import { FEATURES } from "./features.js";
import { fieldPath, InputError, numberLiteralProblem, parseRow } from "./input.js";
import { checkLineLength } from "./lines.js";

/**
 * The longest field read, in characters once trimmed. A double needs at most 24 characters
 * (`-1.2345678901234567e-308`); 64 leaves room for spelled-out digits and a header's names, and
 * keeps every field check cheap whatever a client sends.
 */
export const MAX_FIELD_CHARS = 64;

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * Whether `text` is a decimal number, `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`, in one pass: the
 * regex of that language took quadratic time on a long run of digits followed by a non-digit.
 */
export function isCsvNumber(text: string): boolean {
  const end = text.length;
  let i = 0;
  let code = text.charCodeAt(i);
  if (code === 43 || code === 45) code = text.charCodeAt(++i); // + -
  let digits = 0;
  while (isDigit(code)) {
    digits++;
    code = text.charCodeAt(++i);
  }
  if (code === 46) {
    code = text.charCodeAt(++i); // .
    while (isDigit(code)) {
      digits++;
      code = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (code === 101 || code === 69) {
    code = text.charCodeAt(++i); // e E
    if (code === 43 || code === 45) code = text.charCodeAt(++i);
    if (!isDigit(code)) return false;
    while (isDigit(code)) code = text.charCodeAt(++i);
  }
  return i === end;
}

function checkFields(fields: string[], path: string): string[] {
  for (const field of fields) {
    if (field.length > MAX_FIELD_CHARS) {
      throw new InputError(
        path,
        `a field is ${field.length} characters; the limit is ${MAX_FIELD_CHARS} (a measurement needs far fewer)`,
      );
    }
  }
  return fields;
}

/** The trimmed fields of one line, each at most MAX_FIELD_CHARS; the line's length is checked first. */
export function splitCsvLine(line: string, path = ""): string[] {
  checkLineLength(line, path);
  // without quotes a CSV line is its commas; csv-parse is for the lines that quote (and costs
  // a parser set-up per line, a quarter of `iris-mlops predict`'s time when it ran every line)
  if (!line.includes('"'))
    return line.trim() === ""
      ? []
      : checkFields(
          line.split(",").map((f) => f.trim()),
          path,
        );
  let records: string[][];
  try {
    records = parse(line, { trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new InputError(path, `not valid CSV (${(error as Error).message.split("\n")[0]})`);
  }
  // csv-parse ends a record at a bare CR too: a line holding two records would lose one
  if (records.length !== 1)
    throw new InputError(path, `holds ${records.length} records; send one flower per line`);
  return checkFields(records[0] as string[], path);
}

/**
 * The column order a CLI input's first line sets: a header's (undefined when the line is data).
 * The line is data when every field in it is a number or empty, a header when none is a number,
 * and must then name the four features once each. A line mixing numbers with other text is
 * neither (`5.1,3.5,1.4,0.2x`, `1e5,petal_length,...`): no order can be taken from it.
 */
export function csvHeader(fields: readonly string[]): number[] | undefined {
  const names = fields.filter((field) => field !== "" && !isCsvNumber(field));
  if (names.length === 0) return undefined;
  if (fields.some(isCsvNumber)) {
    throw new InputError(
      "",
      `mixes numbers with other text (${names.map((n) => JSON.stringify(n)).join(", ")}), so it is neither a header nor a row of numbers`,
    );
  }
  const order = FEATURES.map((name) => fields.findIndex((field) => field.toLowerCase() === name));
  if (fields.length !== FEATURES.length || order.some((i) => i < 0)) {
    throw new InputError(
      "header",
      `a header names exactly ${FEATURES.join(", ")}, got ${fields.join(", ")}`,
    );
  }
  return order;
}

/** One CSV record as a validated row; `order[k]` is the column holding feature k. */
export function csvRecordToRow(
  fields: readonly string[],
  path = "",
  order?: readonly number[],
): number[] {
  if (fields.length !== FEATURES.length) {
    throw new InputError(
      path,
      `a CSV row holds exactly ${FEATURES.length} values (${FEATURES.join(", ")}), got ${fields.length}`,
    );
  }
  const ordered = order ? order.map((i) => fields[i] as string) : fields;
  // numbers become numbers; anything else stays as it is so the row check names it
  return parseRow(
    ordered.map((field, k) => {
      if (!isCsvNumber(field)) return field === "" ? undefined : field;
      const value = Number(field);
      const problem = numberLiteralProblem(field, value);
      if (problem) throw new InputError(fieldPath(path, FEATURES[k] as string), problem);
      return value;
    }),
    path,
  );
}
