/**
 * `iris-mlops predict`: CSV (header optional) or JSON lines in, one JSON line out per input row,
 * in order. Reads and writes as streams, so memory stays flat whatever the input's size.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { csvHeader, csvRecordToRow, splitCsvLine } from "../core/csv.js";
import { InputError, parseRow } from "../core/input.js";
import type { Predictor } from "../core/predictor.js";

/** Output lines per write: few enough to keep memory flat, enough to make writes cheap. */
const OUTPUT_BATCH = 256;

export type InputFormat = "auto" | "csv" | "jsonl";

export interface PredictStreamOptions {
  format: InputFormat;
  /** Called now and then with the rows done so far (the CLI draws progress with it). */
  onProgress?: (rows: number) => void;
}

export interface PredictStreamResult {
  rows: number;
  errors: number;
}

function parseJsonLine(line: string): number[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new InputError("", `not valid JSON (${(error as Error).message})`);
  }
  return parseRow(value);
}

export async function predictStream(
  predictor: Predictor,
  input: Readable,
  output: Writable,
  { format, onProgress }: PredictStreamOptions,
): Promise<PredictStreamResult> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let kind: InputFormat = format;
  let order: number[] | undefined;
  let lineNumber = 0;
  let rows = 0;
  let errors = 0;
  // lines go out in batches: one write per line cost a system call each on a file or pipe
  let pending: string[] = [];
  const flush = async () => {
    const text = pending.join("");
    pending = [];
    if (!output.write(text)) await new Promise((resolve) => output.once("drain", resolve));
  };
  for await (const raw of lines) {
    lineNumber++;
    const line = raw.trim();
    if (line === "") continue;
    if (kind === "auto") kind = line.startsWith("{") || line.startsWith("[") ? "jsonl" : "csv";
    let result: string;
    try {
      let row: number[];
      if (kind === "csv") {
        const fields = splitCsvLine(line);
        if (rows === 0 && errors === 0 && order === undefined) {
          order = csvHeader(fields);
          if (order) continue;
        }
        row = csvRecordToRow(fields, "", order);
      } else {
        row = parseJsonLine(line);
      }
      result = JSON.stringify(predictor.predict(row));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      errors++;
      result = JSON.stringify({ error: `line ${lineNumber}, ${error.message}` });
    }
    rows++;
    pending.push(`${result}\n`);
    if (pending.length === OUTPUT_BATCH) await flush();
    if (onProgress && rows % 10_000 === 0) onProgress(rows);
  }
  if (pending.length > 0) await flush();
  return { rows, errors };
}

export function openInput(path: string): Readable {
  return path === "-" ? process.stdin : createReadStream(path);
}
