/**
 * Where the local server and the container put captured requests (issue #11, docs/monitoring.md):
 * a sampled request's rows become one capture line (monitoring/capture-line.ts) handed to a
 * sink after the answer is sent. Nothing here can fail or slow an answer: the line is built
 * and handed over in a try, a sink is never awaited, and what it cannot take is dropped and
 * counted, never queued without bound.
 *   fileCaptureSink    JSON lines under <dir>/server/yyyy/mm/dd/hh/ (`iris-mlops serve --capture-dir`)
 *   stdoutCaptureSink  the lines on standard output (`--capture-log`, CAPTURE_LOG=1), for a
 *                      SageMaker serverless endpoint, whose log group Firehose is subscribed to
 */
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { type BatchPredictions, predictionAt } from "../core/batch.js";
import { FEATURES } from "../core/features.js";
import type { Prediction } from "../core/predictor.js";
import {
  CAPTURE_MAX_ROWS,
  captureEntry,
  captureLine,
  captureRateFromEnv,
  captureRecords,
  createCaptureSampler,
} from "../monitoring/capture-line.js";
import type { Door } from "../monitoring/types.js";

export interface CaptureSink {
  /** Take one line (no newline); false when it is full and drops it. Never awaited. */
  write(line: string): boolean | undefined | Promise<unknown>;
  /** Lines taken but then lost (a write that failed). */
  readonly lost?: number;
  /** Write what it holds; resolves once everything taken is written (or lost). */
  close?(): Promise<void>;
}

export interface CaptureStats {
  /** Lines taken by the sink and not lost since. */
  captured: number;
  /** Lines the sink had no room for. */
  dropped: number;
  /** Lines that could not be made or written. */
  failed: number;
}

/** The rows of one sampled request, collected as they are predicted (at most CAPTURE_MAX_ROWS). */
export interface RequestCapture {
  add(rows: readonly ArrayLike<number>[], predictions: readonly Prediction[]): void;
  /**
   * The same for `count` rows of a columnar batch: its n x 4 values and the predictions made of
   * them (core/batch.ts), read back as the answer said them, nothing predicted again.
   */
  addColumns(
    values: Float64Array,
    out: BatchPredictions,
    count: number,
    classes: readonly string[],
  ): void;
  /** Hand the request's line to the sink. */
  done(): void;
}

/** A door's capture: which requests, to where, and what became of them. */
export class ServerCapture {
  private taken = 0;
  private full = 0;
  private broken = 0;

  constructor(
    readonly door: Door,
    private readonly sampled: () => boolean,
    private readonly sink: CaptureSink,
  ) {}

  get stats(): CaptureStats {
    const lost = this.sink.lost ?? 0;
    return { captured: this.taken - lost, dropped: this.full, failed: this.broken + lost };
  }

  /** A collector for this request when it is sampled (decided here, once), else undefined. */
  request(modelVersion: string): RequestCapture | undefined {
    if (!this.sampled()) return undefined;
    const rows: ArrayLike<number>[] = [];
    const predictions: Prediction[] = [];
    let total = 0;
    return {
      add: (more, predicted) => {
        total += more.length;
        for (let i = 0; i < more.length && rows.length < CAPTURE_MAX_ROWS; i++) {
          rows.push(more[i] as ArrayLike<number>);
          predictions.push(predicted[i] as Prediction);
        }
      },
      addColumns: (values, out, count, classes) => {
        total += count;
        const width = FEATURES.length;
        for (let r = 0; r < count && rows.length < CAPTURE_MAX_ROWS; r++) {
          rows.push(Array.from(values.subarray(r * width, (r + 1) * width)));
          predictions.push(predictionAt(classes, out, r));
        }
      },
      done: () =>
        this.hand(() => {
          const records = captureRecords({ door: this.door, modelVersion, rows, predictions });
          return captureLine(captureEntry(records, total));
        }),
    };
  }

  /** Capture one answered request when it is sampled. */
  answered(
    modelVersion: string,
    rows: readonly ArrayLike<number>[],
    predictions: readonly Prediction[],
  ): void {
    const request = this.request(modelVersion);
    request?.add(rows, predictions);
    request?.done();
  }

  close(): Promise<void> {
    return this.sink.close?.() ?? Promise.resolve();
  }

  private hand(line: () => string): void {
    try {
      const taken = this.sink.write(line());
      if (taken === false) this.full++;
      else if (taken instanceof Promise) {
        this.taken++;
        taken.catch(() => {
          this.taken--;
          this.broken++;
        });
      } else this.taken++;
    } catch {
      this.broken++;
    }
  }
}

/** The partition of an hour: yyyy/mm/dd/hh, UTC. */
export function hourPath(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
}

/** Bytes of lines waiting to be written before more are dropped. */
export const CAPTURE_QUEUE_BYTES = 4 * 1024 * 1024;

/**
 * Append lines to <dir>/server/yyyy/mm/dd/hh/<started>-<pid>.jsonl (the hour each was taken in),
 * one writer at a time, behind a queue of at most `maxQueuedBytes`.
 */
export function fileCaptureSink(
  dir: string,
  { maxQueuedBytes = CAPTURE_QUEUE_BYTES, now = () => new Date() } = {},
): CaptureSink {
  const file = `${now().toISOString().replace(/[:.]/g, "-")}-${process.pid}.jsonl`;
  let queue: { hour: string; text: string }[] = [];
  let queued = 0;
  let lost = 0;
  let writing: Promise<void> | undefined;
  let current: { hour: string; handle: Awaited<ReturnType<typeof open>> } | undefined;

  async function fileFor(hour: string) {
    if (current?.hour === hour) return current.handle;
    await current?.handle.close().catch(() => undefined);
    current = undefined;
    const folder = join(dir, "server", hour);
    await mkdir(folder, { recursive: true });
    current = { hour, handle: await open(join(folder, file), "a") };
    return current.handle;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      // consecutive lines of one hour are written at once
      for (let start = 0; start < batch.length; ) {
        const hour = (batch[start] as { hour: string }).hour;
        let end = start;
        let text = "";
        while (end < batch.length && (batch[end] as { hour: string }).hour === hour)
          text += (batch[end++] as { text: string }).text;
        try {
          await (await fileFor(hour)).write(text);
        } catch {
          lost += end - start;
        }
        queued -= text.length;
        start = end;
      }
    }
  }

  return {
    get lost() {
      return lost;
    },
    write(line) {
      const text = `${line}\n`;
      if (queued + text.length > maxQueuedBytes) return false;
      queue.push({ hour: hourPath(now()), text });
      queued += text.length;
      writing ??= drain().finally(() => {
        writing = undefined;
      });
      return true;
    },
    async close() {
      while (writing !== undefined) await writing;
      await current?.handle.close().catch(() => undefined);
      current = undefined;
    },
  };
}

/** Bytes standard output may hold unwritten before capture lines are dropped. */
export const CAPTURE_STDOUT_BYTES = 1024 * 1024;

/** Longest wait at close for standard output to take what it holds (STOP_GRACE_MS is 8 s). */
export const CAPTURE_STDOUT_CLOSE_MS = 5_000;

/** Print lines on `stream` (standard output), dropping them while it is this far behind. */
export function stdoutCaptureSink(
  stream: NodeJS.WritableStream & { writableLength: number } = process.stdout,
  maxBufferedBytes = CAPTURE_STDOUT_BYTES,
  closeWaitMs = CAPTURE_STDOUT_CLOSE_MS,
): CaptureSink {
  return {
    write(line) {
      if (stream.writableLength > maxBufferedBytes) return false;
      stream.write(`${line}\n`);
      return true;
    },
    // what stdout still holds is lost by process.exit: wait for it (bounded: a reader that
    // never reads must not hold the stop past docker's grace)
    close: () =>
      stream.writableLength === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              stream.off("drain", done);
              resolve();
            };
            const timer = setTimeout(done, closeWaitMs);
            timer.unref();
            stream.on("drain", done);
          }),
  };
}

/**
 * The capture a server was asked for: into files under `dir`, or on standard output (`log`),
 * sampled at CAPTURE_SAMPLE; undefined for neither or a sample of 0. Throws on a bad
 * CAPTURE_SAMPLE, so that the server refuses to start.
 */
export function serverCaptureFrom(options: {
  door: Door;
  dir?: string | undefined;
  log?: boolean | undefined;
  env: NodeJS.ProcessEnv;
}): ServerCapture | undefined {
  const rate = captureRateFromEnv(options.env);
  if (options.dir !== undefined && options.log === true)
    throw new Error(
      "capture either into files (--capture-dir) or on standard output (--capture-log), not both",
    );
  if (rate === 0) return undefined;
  const sink =
    options.dir !== undefined
      ? fileCaptureSink(options.dir)
      : options.log
        ? stdoutCaptureSink()
        : undefined;
  return sink === undefined
    ? undefined
    : new ServerCapture(options.door, createCaptureSampler(rate), sink);
}
