/**
 * The batch path of `npm run bench` (issue 13), in process, each figure next to its baseline in
 * the same run: full predictions (predictColumns against today's per-row predictBatch), reading
 * a 300,000-row file's bytes (the batch reader against the per-line readers and a bare reader
 * that only parses), writing the answers (the answer writer against JSON.stringify per row), and
 * bytes to answers end to end (predictStream against the per-line path). Samples of the cases
 * alternate, so a ratio pairs runs that met the same machine; times are medians, warm.
 */
import { Readable, Writable } from "node:stream";
import { predictStream } from "../../cli/predict.js";
import { jsonLinesWriter } from "../../core/answer-bytes.js";
import { batchPredictions } from "../../core/batch.js";
import { csvRecordToRow, splitCsvLine } from "../../core/csv.js";
import { LineBatch, LineBatchReader } from "../../core/line-batch.js";
import { parseJsonLine } from "../../core/lines.js";
import type { Predictor } from "../../core/predictor.js";
import { table } from "../../training/report.js";
import { predictStreamPerLine } from "./per-line-predict.js";
import { readLines } from "./read-lines.js";
import { rowsText } from "./rows.js";
import { median } from "./stats.js";

export const FILE_ROWS = 300_000;
/** The command's read size (cli/predict.ts): the runs the batch path reads. */
const RUN_BYTES = 256 * 1024;

interface Case {
  name: string;
  run: () => unknown;
}

/** Each case's times in ms, the cases taking turns in every sample, after a warm-up. */
async function paired(cases: Case[], samples: number, warmup = 2): Promise<number[][]> {
  const times = cases.map(() => [] as number[]);
  let keep: unknown;
  for (let s = 0; s < warmup + samples; s++) {
    for (const [c, { run }] of cases.entries()) {
      const start = process.hrtime.bigint();
      keep = await run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (s >= warmup) (times[c] as number[]).push(ms);
    }
  }
  if (keep === Symbol.for("never")) console.log(keep);
  return times;
}

/** How many times faster `fast` ran than `slow`, sample by sample: the median. */
const speedup = (slow: readonly number[], fast: readonly number[]) =>
  median(slow.map((x, i) => x / (fast[i] as number)));

/** Byte runs as the command reads them: up to its last newline. */
function runsOf(bytes: Buffer): Buffer[] {
  const runs: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    let end = Math.min(bytes.length, at + RUN_BYTES);
    if (end < bytes.length) end = bytes.lastIndexOf(0x0a, end - 1) + 1;
    runs.push(bytes.subarray(at, end));
    at = end;
  }
  return runs;
}

/** Reads every run with one batch reader; the rows read. */
function batchRead(runs: readonly Buffer[], format: "csv" | "jsonl"): number {
  const reader = new LineBatchReader(format);
  const batch = new LineBatch();
  let line = 1;
  let rows = 0;
  for (const run of runs) {
    batch.clear();
    line += reader.read(run, 0, run.length, line, batch);
    rows += batch.rowCount;
  }
  return rows;
}

/** Today's per-line reading: each line decoded, split and checked by the per-line readers. */
async function perLineRead(bytes: Buffer, format: "csv" | "jsonl"): Promise<number> {
  let rows = 0;
  let first = true;
  for await (const line of readLines([bytes])) {
    if (first && format === "csv") {
      first = false;
      continue; // the header
    }
    const text = line.text as string;
    const row = format === "csv" ? csvRecordToRow(splitCsvLine(text)) : parseJsonLine(text);
    rows += row.length / 4;
  }
  return rows;
}

/** The floor: lines split and numbers read, nothing checked. */
function bareRead(text: string): number {
  let rows = 0;
  let sum = 0;
  for (const line of text.split("\n")) {
    const fields = line.split(",");
    if (fields.length !== 4) continue;
    for (const field of fields) sum += Number(field);
    rows++;
  }
  return Number.isNaN(sum) ? rows - 1 : rows;
}

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

export async function batchBench(predictor: Predictor, rows: readonly number[][]) {
  const classes = predictor.classes.length;
  const flat = Float64Array.from(rows.flat());
  const out = batchPredictions(rows.length, classes);
  process.stderr.write("batch: full predictions…\n");
  const [perRow, columns] = (await paired(
    [
      { name: "per-row predictBatch", run: () => predictor.predictBatch(rows) },
      { name: "predictColumns", run: () => predictor.predictColumns(flat, rows.length, out) },
    ],
    9,
  )) as [number[], number[]];

  process.stderr.write(`batch: reading ${FILE_ROWS.toLocaleString("en")} rows…\n`);
  const csvText = rowsText(FILE_ROWS, "csv");
  const csv = Buffer.from(csvText);
  const jsonl = Buffer.from(rowsText(FILE_ROWS, "jsonl"));
  const csvRuns = runsOf(csv);
  const jsonlRuns = runsOf(jsonl);
  const [perLineCsv, bareCsv, batchCsv, perLineJsonl, batchJsonl] = (await paired(
    [
      { name: "per-line readers, CSV", run: () => perLineRead(csv, "csv") },
      { name: "bare reader, CSV", run: () => bareRead(csvText) },
      { name: "batch reader, CSV", run: () => batchRead(csvRuns, "csv") },
      { name: "per-line readers, JSON lines", run: () => perLineRead(jsonl, "jsonl") },
      { name: "batch reader, JSON lines", run: () => batchRead(jsonlRuns, "jsonl") },
    ],
    7,
  )) as number[][] as [number[], number[], number[], number[], number[]];

  process.stderr.write("batch: writing answers…\n");
  const batch = new LineBatch();
  new LineBatchReader("csv").read(csv, 0, csv.length, 1, batch);
  const predictions = batchPredictions(batch.rowCount, classes);
  predictor.predictColumns(batch.rows, batch.rowCount, predictions);
  const writer = jsonLinesWriter(predictor.classes, predictor.trees);
  const predicted = predictor.predictBatch(
    Array.from({ length: batch.rowCount }, (_, i) => batch.rows.subarray(i * 4, i * 4 + 4)),
  );
  const [stringify, written] = (await paired(
    [
      {
        name: "JSON.stringify per row",
        run: () => Buffer.from(predicted.map((p) => `${JSON.stringify(p)}\n`).join("")),
      },
      { name: "answer writer", run: () => writer.write(batch, predictions) },
    ],
    9,
  )) as [number[], number[]];

  process.stderr.write("batch: bytes to answers…\n");
  const [perLinePath, batchPath] = (await paired(
    [
      {
        name: "per-line path",
        run: () =>
          predictStreamPerLine(predictor, Readable.from(csvRuns), discard(), { format: "auto" }),
      },
      {
        name: "predictStream",
        run: () => predictStream(predictor, Readable.from(csvRuns), discard(), { format: "auto" }),
      },
    ],
    5,
    1,
  )) as [number[], number[]];

  const perSecond = (count: number, times: number[]) => count / (median(times) / 1e3);
  const mib = (bytes: number, times: number[]) => bytes / 1024 / 1024 / (median(times) / 1e3);
  return {
    full_predictions_150k: {
      per_row_rows_per_s: perSecond(rows.length, perRow),
      columnar_rows_per_s: perSecond(rows.length, columns),
      speedup: speedup(perRow, columns),
    },
    read_300k: {
      csv_mib: csv.length / 1024 / 1024,
      jsonl_mib: jsonl.length / 1024 / 1024,
      per_line_csv_mib_per_s: mib(csv.length, perLineCsv),
      bare_csv_mib_per_s: mib(csv.length, bareCsv),
      batch_csv_mib_per_s: mib(csv.length, batchCsv),
      per_line_jsonl_mib_per_s: mib(jsonl.length, perLineJsonl),
      batch_jsonl_mib_per_s: mib(jsonl.length, batchJsonl),
      batch_csv_speedup: speedup(perLineCsv, batchCsv),
      batch_csv_vs_bare: speedup(bareCsv, batchCsv),
      batch_jsonl_speedup: speedup(perLineJsonl, batchJsonl),
    },
    write_300k: {
      stringify_ms: median(stringify),
      writer_ms: median(written),
      speedup: speedup(stringify, written),
    },
    bytes_to_answers_300k: {
      per_line_rows_per_s: perSecond(FILE_ROWS, perLinePath),
      batch_rows_per_s: perSecond(FILE_ROWS, batchPath),
      speedup: speedup(perLinePath, batchPath),
    },
  };
}

export type BatchMeasured = Awaited<ReturnType<typeof batchBench>>;

const fixed = (x: number, digits = 2) =>
  x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const times = (x: number) => `${fixed(x, 1)}×`;
const mrows = (x: number) => fixed(x / 1e6);

/** The batch path's figures as a table: each next to its baseline, the ratio paired by sample. */
export function batchTable(m: BatchMeasured): string {
  const { full_predictions_150k: full, read_300k: read, write_300k: write } = m;
  const end = m.bytes_to_answers_300k;
  const rows = [
    ["batch path (issue 13), warm", "batch", "baseline", "ratio", "baseline is"],
    [
      "full predictions, 150k rows (M rows/s)",
      mrows(full.columnar_rows_per_s),
      mrows(full.per_row_rows_per_s),
      times(full.speedup),
      "predictBatch, one object a row",
    ],
    [
      `read ${FILE_ROWS / 1000}k CSV rows, ${fixed(read.csv_mib, 1)} MiB (MiB/s)`,
      fixed(read.batch_csv_mib_per_s, 0),
      fixed(read.per_line_csv_mib_per_s, 0),
      times(read.batch_csv_speedup),
      "the per-line readers",
    ],
    [
      "  the same against a bare reader (MiB/s)",
      fixed(read.batch_csv_mib_per_s, 0),
      fixed(read.bare_csv_mib_per_s, 0),
      times(read.batch_csv_vs_bare),
      "split + Number(), no checks",
    ],
    [
      `read ${FILE_ROWS / 1000}k JSON lines, ${fixed(read.jsonl_mib, 1)} MiB (MiB/s)`,
      fixed(read.batch_jsonl_mib_per_s, 0),
      fixed(read.per_line_jsonl_mib_per_s, 0),
      times(read.batch_jsonl_speedup),
      "the per-line readers",
    ],
    [
      `write ${FILE_ROWS / 1000}k JSON-lines answers (ms)`,
      fixed(write.writer_ms, 1),
      fixed(write.stringify_ms, 1),
      times(write.speedup),
      "JSON.stringify per row",
    ],
    [
      `CSV bytes to answers, ${FILE_ROWS / 1000}k rows (M rows/s)`,
      mrows(end.batch_rows_per_s),
      mrows(end.per_line_rows_per_s),
      times(end.speedup),
      "the per-line predict path",
    ],
  ];
  const [head, ...body] = table(rows).split("\n");
  return [head, "-".repeat((head as string).length), ...body].join("\n");
}
