/**
 * The length of one line of a line-based input (CSV, JSON lines), checked before it is parsed.
 * A flower is about 100 bytes in either form; 4 KiB leaves room for padding and long spellings
 * while keeping the work and memory per line small whatever a client sends.
 */
import { InputError, parseRow } from "./input.js";
import { MAX_JSON_DEPTH, scanJson } from "./json-scan.js";

export const MAX_LINE_BYTES = 4096;

export function lineTooLong(bytes: number, path = ""): InputError {
  return new InputError(
    path,
    `the line is ${bytes} bytes; the limit is ${MAX_LINE_BYTES} (send one flower per line)`,
  );
}

/** Throws when a line's UTF-8 form is over MAX_LINE_BYTES. */
export function checkLineLength(line: string, path = ""): void {
  // a character is 1 to 3 UTF-8 bytes (a surrogate pair 4 for 2): count bytes only when it matters
  if (line.length * 3 <= MAX_LINE_BYTES) return;
  const bytes = Buffer.byteLength(line);
  if (bytes > MAX_LINE_BYTES) throw lineTooLong(bytes, path);
}

/**
 * One JSON line (JSON lines input): its length checked, then scanned as a JSON body is
 * (core/json-scan.ts), parsed, and read as one row.
 */
export function parseJsonLine(line: string): number[] {
  checkLineLength(line);
  const scan = scanJson(line);
  if (scan.tooDeep)
    throw new InputError("", `nests deeper than ${MAX_JSON_DEPTH} levels; a line holds one row`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new InputError("", `not valid JSON (${(error as Error).message})`);
  }
  if (scan.problem) throw scan.problem;
  return parseRow(value);
}
