/**
 * A worker thread of `iris-mlops predict --jobs N` (predict-jobs.ts): reads the runs of lines
 * it is sent, predicts them and writes their answers, exactly as the main thread would
 * (runAnswers in predict.ts), and sends the bytes back.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CompiledModel } from "../core/artifact.js";
import { createBatchPredictor } from "../core/batch.js";
import { LineBatchReader } from "../core/line-batch.js";
import { type AnswerSetup, answerSetup, runAnswers } from "./run-answers.js";

export interface WorkerSetup extends AnswerSetup {
  compiled: CompiledModel;
}

export interface WorkerTask {
  id: number;
  bytes: Uint8Array;
  firstLine: number;
  format: ConstructorParameters<typeof LineBatchReader>[0];
}

export interface WorkerAnswer {
  id: number;
  bytes: Uint8Array;
  rows: number;
  errors: number;
}

const setup = workerData as WorkerSetup;
const answers = answerSetup(setup, createBatchPredictor(setup.compiled));

parentPort?.on("message", ({ id, bytes, firstLine, format }: WorkerTask) => {
  const run = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const done = runAnswers(answers, new LineBatchReader(format), { bytes: run }, firstLine);
  const answer: WorkerAnswer = { id, bytes: done.bytes, rows: done.rows, errors: done.errors };
  // the answer's buffer is its own (answer-bytes.ts): handed over, not copied
  parentPort?.postMessage(answer, [done.bytes.buffer as ArrayBuffer]);
});
