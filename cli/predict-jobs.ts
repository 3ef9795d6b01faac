/**
 * The worker threads of `iris-mlops predict --jobs N`: runs of lines are handed out in turn,
 * each worker answers its runs in the order it gets them (predict-worker.ts), and the caller
 * writes the answers in input order (predict.ts). A worker that fails fails the command.
 */
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import type { LineFormat } from "../core/line-batch.js";
import type { WorkerAnswer, WorkerSetup, WorkerTask } from "./predict-worker.js";
import type { RunAnswers } from "./run-answers.js";

/** The worker's file beside this one: .js when built, .ts under tsx (the tests). */
const WORKER_FILE = join(__dirname, `predict-worker${extname(__filename)}`);

/** A worker thread does not inherit tsx's loader: from the sources, it registers it first. */
const startWorker = (setup: WorkerSetup) => {
  // the answers come back as messages; a worker's own stdout and stderr are not piped into this
  // process's (each pipe adds listeners to them: ten workers warned of a listener leak), and a
  // worker that fails says so through its 'error' event
  const options = { workerData: setup, stdout: true, stderr: true };
  return WORKER_FILE.endsWith(".ts")
    ? new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(WORKER_FILE)});`, {
        ...options,
        eval: true,
      })
    : new Worker(WORKER_FILE, options);
};

export interface WorkerPool {
  answer(bytes: Buffer, firstLine: number, format: LineFormat): Promise<Omit<RunAnswers, "lines">>;
  close(): Promise<void>;
}

export function workerPool(size: number, setup: WorkerSetup): WorkerPool {
  const waiting = new Map<
    number,
    { resolve(answer: WorkerAnswer): void; reject(e: Error): void }
  >();
  let failure: Error | undefined;
  let closing = false;
  const fail = (error: Error) => {
    if (closing) return;
    failure ??= error;
    for (const { reject } of waiting.values()) reject(failure);
    waiting.clear();
  };
  const workers = Array.from({ length: size }, () => {
    const worker = startWorker(setup);
    worker.on("message", (answer: WorkerAnswer) => {
      waiting.get(answer.id)?.resolve(answer);
      waiting.delete(answer.id);
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (waiting.size > 0) fail(new Error(`a predict worker stopped (exit code ${code})`));
    });
    return worker;
  });
  let next = 0;
  return {
    answer(bytes, firstLine, format) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      // a copy of its own, handed over whole: the run is a view into a chunk the reader reuses
      const copy = new Uint8Array(bytes);
      const task: WorkerTask = { id, bytes: copy, firstLine, format };
      const answered = new Promise<Omit<RunAnswers, "lines">>((resolve, reject) => {
        waiting.set(id, {
          resolve: ({ bytes: answer, rows, errors }) =>
            resolve({
              bytes: Buffer.from(answer.buffer, answer.byteOffset, answer.length),
              rows,
              errors,
            }),
          reject,
        });
        (workers[id % size] as Worker).postMessage(task, [copy.buffer]);
      });
      // the caller may stop before it awaits every answer (the output closed, a failure)
      answered.catch(() => undefined);
      return answered;
    },
    async close() {
      // answers still on their way are not wanted any more: their workers just stop
      closing = true;
      waiting.clear();
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
