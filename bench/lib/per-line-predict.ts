/**
 * `iris-mlops predict` as it was before the batch readers (core/line-batch.ts), kept as the
 * baseline of bench/predict.bench.ts and the oracle the tests compare the CLI's output with
 * byte for byte: a line at a time (read-lines.ts), each parsed by the per-line readers and
 * predicted by predictor.predict, one JSON line out per input row.
 */
import type { Readable, Writable } from "node:stream";
import { drained, type PredictStreamOptions, type PredictStreamResult } from "../../cli/predict.js";
import { csvHeader, csvRecordToRow, splitCsvLine } from "../../core/csv.js";
import { InputError } from "../../core/input.js";
import { type InputFormat, STOPPED_HERE } from "../../core/line-batch.js";
import { lineTooLong, parseJsonLine } from "../../core/lines.js";
import type { Predictor } from "../../core/predictor.js";
import { readLines } from "./read-lines.js";

/** Output lines per write: few enough to keep memory flat, enough to make writes cheap. */
const OUTPUT_BATCH = 256;

export async function predictStreamPerLine(
  predictor: Predictor,
  input: Readable,
  output: Writable,
  { format, onProgress }: Pick<PredictStreamOptions, "format" | "onProgress">,
): Promise<PredictStreamResult> {
  let kind: InputFormat = format;
  let order: number[] | undefined;
  let lineNumber = 0;
  let rows = 0;
  let errors = 0;
  // lines go out in batches: one write per line cost a system call each on a file or pipe
  let pending: string[] = [];
  // a reader that goes away (EPIPE from `| head -1`) ends the run quietly; other failures throw
  let closed = false;
  let failure: Error | undefined;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") closed = true;
    else failure = error;
  };
  output.on("error", onError);
  const gone = () => closed || failure !== undefined || output.destroyed;
  const flush = async () => {
    const text = pending.join("");
    pending = [];
    if (gone()) return;
    if (!output.write(text)) await drained(output);
  };
  let stopped: PredictStreamResult["stopped"];
  let first = true;
  for await (const next of readLines(input)) {
    lineNumber++;
    if (gone()) break;
    // the line as the server reads a body's lines: a byte-order mark dropped only at the start
    // of the input, nothing trimmed (JSON.parse and the CSV scanner take what they allow), so
    // that a line one door refuses no other door answers
    const line =
      lineNumber === 1 && next.text?.charCodeAt(0) === 0xfeff ? next.text.slice(1) : next.text;
    if (line !== undefined && line.trim() === "") continue;
    if (kind === "auto" && line !== undefined) {
      const start = line.trimStart();
      kind = start.startsWith("{") || start.startsWith("[") ? "jsonl" : "csv";
    }
    // until a CSV input's first line is read, the column order is unknown (and the format too,
    // for a first line too long to look at): an error reading it stops the run
    if (first && kind !== "jsonl") stopped = "bad_first_line";
    const atFirst = first;
    first = false;
    let result: string;
    try {
      if (line === undefined) throw lineTooLong(next.tooLong as number);
      let row: number[];
      if (kind === "csv") {
        const fields = splitCsvLine(line);
        if (atFirst) {
          order = csvHeader(fields);
          stopped = undefined;
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
      const why = stopped ? `; ${STOPPED_HERE}` : "";
      result = JSON.stringify({ error: `line ${lineNumber}, ${error.message}${why}` });
    }
    rows++;
    pending.push(`${result}\n`);
    if (stopped) break;
    if (pending.length === OUTPUT_BATCH) await flush();
    if (onProgress && rows % 10_000 === 0) onProgress(rows);
  }
  if (pending.length > 0) await flush();
  // onError stays: a closed pipe may still report EPIPE for the last write, after this returns
  if (failure) throw failure;
  if (gone()) stopped = "output_closed";
  return stopped ? { rows, errors, stopped } : { rows, errors };
}
