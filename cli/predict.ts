/**
 * `iris-mlops predict`: CSV (header optional) or JSON lines in, one answer line out per input
 * row, in order, as JSON lines or CSV. Reads and writes as streams, a run of whole lines at a
 * time (line-runs.ts): each run is parsed from its bytes into one array of rows
 * (core/line-batch.ts), predicted at once (core/batch.ts) and its answers written into one
 * buffer (core/answer-bytes.ts), so memory stays flat and nothing is made per row.
 */
import { createReadStream } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { OutputFormat } from "../core/answer-bytes.js";
import { type InputFormat, LineBatchReader } from "../core/line-batch.js";
import type { Predictor } from "../core/predictor.js";
import { lineRuns } from "./line-runs.js";
import { type WorkerPool, workerPool } from "./predict-jobs.js";
import { answerSetup, type RunAnswers, runAnswers } from "./run-answers.js";

export type { InputFormat } from "../core/line-batch.js";

export interface PredictStreamOptions {
  format: InputFormat;
  /** The answers' format: JSON lines (the default) or CSV with a header. */
  output?: OutputFormat;
  /** Called after each run of lines written, with the rows done so far (the CLI draws progress). */
  onProgress?: (rows: number) => void;
  /**
   * Threads that read and predict: this one and `jobs - 1` workers, taking turns at the runs of
   * lines after the first line (1, the default: this thread alone).
   */
  jobs?: number;
}

export interface PredictStreamResult {
  rows: number;
  errors: number;
  /**
   * Why reading stopped before the end: a CSV first line that is neither a header nor a row of
   * numbers (the rows after it are in its column order, which is unknown, so none is
   * predicted), or the output closed (`| head`); undefined if neither.
   */
  stopped?: "bad_first_line" | "output_closed";
}

/** Resolves when `output` can take more, or is gone (closed or failed). */
export function drained(output: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      output.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    output.on("drain", done).on("close", done).on("error", done);
  });
}

/** Writes to `output` with backpressure; a reader that goes away (EPIPE) ends it quietly. */
export function outputSink(output: Writable) {
  let closed = false;
  let failure: Error | undefined;
  // the handler stays: a closed pipe may still report EPIPE for the last write after the end
  output.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") closed = true;
    else failure = error;
  });
  const gone = () => closed || failure !== undefined || output.destroyed;
  return {
    gone,
    async write(bytes: Uint8Array): Promise<void> {
      if (bytes.length === 0 || gone()) return;
      if (!output.write(bytes)) await drained(output);
    },
    /** Throws what broke the output, if anything but its reader leaving did. */
    check(): void {
      if (failure) throw failure;
    },
  };
}

/** Newlines in `bytes`, and one for a last line without one. */
function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? lines + 1 : lines;
}

type Answered = Promise<Omit<RunAnswers, "lines">>;

export async function predictStream(
  predictor: Predictor,
  input: Readable,
  output: Writable,
  { format, output: outputFormat = "jsonl", onProgress, jobs = 1 }: PredictStreamOptions,
): Promise<PredictStreamResult> {
  const reader = new LineBatchReader(format);
  const setup = { classes: predictor.classes, trees: predictor.trees, output: outputFormat };
  const answers = answerSetup(setup, predictor.predictColumns);
  const sink = outputSink(output);
  // answers not yet written, in input order; at most a few runs ahead of the writing, so
  // that memory stays flat however fast the input comes
  const queue: Answered[] = [];
  const ahead = jobs > 1 ? 2 * jobs : 0;
  let pool: WorkerPool | undefined;
  let turn = 0;
  let line = 1;
  let rows = 0;
  let errors = 0;
  const writeNext = async () => {
    const answer = await (queue.shift() as Answered);
    if (answer.rows === 0) return;
    if (rows === 0) await sink.write(answers.writer.head);
    await sink.write(answer.bytes);
    rows += answer.rows;
    errors += answer.errors;
    onProgress?.(rows);
  };
  try {
    for await (const run of lineRuns(input)) {
      if (sink.gone()) break;
      // the first line decides how the rest is read, so the main thread reads it
      const decided = reader.format;
      // with --jobs N, this thread answers one run in N and N - 1 workers the others
      if (decided !== undefined && run.bytes !== undefined && turn++ % jobs !== 0) {
        pool ??= workerPool(jobs - 1, { ...setup, compiled: predictor.compiled });
        queue.push(pool.answer(run.bytes, line, decided));
        line += countLines(run.bytes);
      } else {
        const answer = runAnswers(answers, reader, run, line);
        line += answer.lines;
        queue.push(Promise.resolve(answer));
      }
      while (queue.length > ahead) await writeNext();
      if (reader.stopped) break;
    }
    while (queue.length > 0 && !sink.gone()) await writeNext();
  } finally {
    await pool?.close();
  }
  sink.check();
  const stopped = reader.stopped ? "bad_first_line" : sink.gone() ? "output_closed" : undefined;
  return stopped ? { rows, errors, stopped } : { rows, errors };
}

/** Bytes per read of an input file: runs this long keep the per-run costs small. */
const READ_BYTES = 256 * 1024;

export function openInput(path: string): Readable {
  return path === "-" ? process.stdin : createReadStream(path, { highWaterMark: READ_BYTES });
}
