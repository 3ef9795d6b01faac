/**
 * One run of lines (line-runs.ts) to the bytes of its answers: read into rows
 * (core/line-batch.ts), predicted at once (core/batch.ts), written into one buffer
 * (core/answer-bytes.ts). The same in the main thread and in a worker (predict-worker.ts).
 */
import { type AnswerWriter, answerWriter, type OutputFormat } from "../core/answer-bytes.js";
import { type BatchPredictions, type BatchPredictor, batchPredictions } from "../core/batch.js";
import { LineBatch, type LineBatchReader } from "../core/line-batch.js";
import type { LineRun } from "./line-runs.js";

export interface AnswerSetup {
  classes: readonly string[];
  trees: number;
  output: OutputFormat;
}

/** What answering runs keeps from one run to the next. */
export interface Answers {
  readonly classes: number;
  readonly writer: AnswerWriter;
  readonly predict: BatchPredictor;
  readonly batch: LineBatch;
  predictions: BatchPredictions;
}

export interface RunAnswers {
  /** The answers' lines (no CSV header: that is the writer's `head`). */
  bytes: Buffer;
  /** Answer lines written, errors among them. */
  rows: number;
  errors: number;
  /** Input lines the run held (blank ones and a header included). */
  lines: number;
}

export function answerSetup(
  { classes, trees, output }: AnswerSetup,
  predict: BatchPredictor,
): Answers {
  return {
    classes: classes.length,
    writer: answerWriter(output, classes, trees),
    predict,
    batch: new LineBatch(),
    predictions: batchPredictions(0, classes.length),
  };
}

/** Answers `run`, whose first line is line `firstLine` of the input, read by `reader`. */
export function runAnswers(
  answers: Answers,
  reader: LineBatchReader,
  run: LineRun,
  firstLine: number,
): RunAnswers {
  const { batch } = answers;
  batch.clear();
  let lines = 1;
  if (run.bytes === undefined) reader.readTooLong(run.tooLong, firstLine, batch);
  else lines = reader.read(run.bytes, 0, run.bytes.length, firstLine, batch);
  if (answers.predictions.capacity < batch.rowCount)
    answers.predictions = batchPredictions(
      Math.max(batch.rowCount, 2 * answers.predictions.capacity),
      answers.classes,
    );
  answers.predict(batch.rows, batch.rowCount, answers.predictions);
  return {
    bytes: answers.writer.write(batch, answers.predictions),
    rows: batch.entries,
    errors: batch.errors.length,
    lines,
  };
}
