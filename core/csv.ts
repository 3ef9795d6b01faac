/**
 * CSV rows of measurements: one flower per line, no header (SageMaker's text/csv) or, for the
 * CLI, an optional header naming the four features in any order.
 */
import { parse } from "csv-parse/sync";
import { FEATURES } from "./features.js";
import { InputError, parseRow } from "./input.js";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function splitCsvLine(line: string, path = ""): string[] {
  // without quotes a CSV line is its commas; csv-parse is for the lines that quote (and costs
  // a parser set-up per line, a quarter of `iris-mlops predict`'s time when it ran every line)
  if (!line.includes('"')) return line.trim() === "" ? [] : line.split(",").map((f) => f.trim());
  try {
    const records = parse(line, { trim: true, relax_column_count: true }) as string[][];
    return records[0] ?? [];
  } catch (error) {
    throw new InputError(path, `not valid CSV (${(error as Error).message.split("\n")[0]})`);
  }
}

/**
 * Column order from a header line, or undefined when the line is data. A header must name the
 * four features exactly once each.
 */
export function csvHeader(fields: readonly string[]): number[] | undefined {
  // a line with any number in it is data (a bad data row is reported as such, not as a header)
  if (fields.some((field) => NUMBER.test(field))) return undefined;
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
    ordered.map((field) => (NUMBER.test(field) ? Number(field) : field === "" ? undefined : field)),
    path,
  );
}
