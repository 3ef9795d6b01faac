/**
 * The budget of every call a front door makes to fetch its model (docs/api.md, "Limits"), and
 * the loop that keeps to it: each attempt has a first-byte and a whole-answer timeout, only
 * retryable failures (no answer, a dropped connection, 5xx, throttling) are retried, with
 * jittered exponential backoff, and the whole load ends before `totalMs` whatever happens. One
 * structured log line per attempt says what happened.
 */
import { ArtifactError } from "../core/artifact.js";

export const S3_BUDGET = {
  /** Attempts at most, the first included. */
  attempts: 3,
  /** From sending the request (connecting included) to the answer's status and headers. */
  firstByteMs: 2000,
  /** From sending the request to the body's last byte. */
  attemptMs: 3000,
  /** Backoff before retry n (1, 2, …) is backoffMs·2^(n-1), jittered to between half and all of it. */
  backoffMs: 100,
  /** The whole load, every attempt and backoff included: well inside the Lambda's 10 s timeout. */
  totalMs: 5000,
} as const;

export type Budget = { readonly [K in keyof typeof S3_BUDGET]: number };

/** A failed model fetch; `retryable` when trying again may work. */
export class ModelFetchError extends ArtifactError {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** What an attempt is given: abort on `signal`; call `answered()` once the headers are in. */
export interface Attempt {
  readonly signal: AbortSignal;
  answered(): void;
}

export interface AttemptLine {
  dependency: "s3";
  uri: string;
  attempt: number;
  attempts: number;
  outcome: "ok" | "retry" | "failed";
  ms: number;
  error?: string;
  retry_in_ms?: number;
}

export type AttemptLog = (line: AttemptLine) => void;

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

/** Whether an HTTP status is worth a retry: S3's 500/503 SlowDown, a gateway's 502/504, 429. */
export const retryableStatus = (status: number): boolean => status >= 500 || status === 429;

/** A thrown network error (fetch's "fetch failed", the SDK's socket errors) as one line, with whether to retry. */
export function networkError(error: unknown): ModelFetchError {
  if (error instanceof ModelFetchError) return error;
  const e = error as Error & { code?: string; cause?: Error & { code?: string } };
  const code = e.code ?? e.cause?.code;
  const reason = e.cause ? `${e.message}: ${e.cause.message}` : e.message;
  const retryable =
    (code !== undefined && RETRYABLE_CODES.has(code)) ||
    /fetch failed|terminated|socket hang up|other side closed/i.test(reason);
  return new ModelFetchError(reason, retryable);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(
  uri: string,
  run: (attempt: Attempt) => Promise<T>,
  log: AttemptLog,
  budget: Budget = S3_BUDGET,
): Promise<T> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  for (let n = 1; ; n++) {
    const attemptStarted = performance.now();
    const left = budget.totalMs - elapsed();
    const controller = new AbortController();
    const timeout = (ms: number, what: string) =>
      setTimeout(() => controller.abort(new ModelFetchError(what, true)), ms);
    const attemptMs = Math.max(0, Math.round(Math.min(budget.attemptMs, left)));
    const whole = timeout(
      attemptMs,
      attemptMs < budget.attemptMs
        ? `no complete answer before the load's ${budget.totalMs} ms deadline`
        : `no complete answer within ${attemptMs} ms`,
    );
    let firstByte: NodeJS.Timeout | undefined =
      budget.firstByteMs < attemptMs
        ? timeout(budget.firstByteMs, `no answer within ${budget.firstByteMs} ms`)
        : undefined;
    const answered = () => {
      clearTimeout(firstByte);
      firstByte = undefined;
    };
    let failure: ModelFetchError;
    try {
      const value = await run({ signal: controller.signal, answered });
      log(line(uri, n, budget, "ok", attemptStarted));
      return value;
    } catch (error) {
      // an abort surfaces as whatever the client makes of it; the reason is what we aborted with
      failure = controller.signal.aborted
        ? (controller.signal.reason as ModelFetchError)
        : networkError(error);
    } finally {
      clearTimeout(whole);
      clearTimeout(firstByte);
    }
    const backoff = budget.backoffMs * 2 ** (n - 1) * (0.5 + Math.random() / 2);
    const retry =
      failure.retryable && n < budget.attempts && elapsed() + backoff < budget.totalMs - 50;
    log({
      ...line(uri, n, budget, retry ? "retry" : "failed", attemptStarted),
      error: failure.message,
      ...(retry ? { retry_in_ms: Math.round(backoff) } : {}),
    });
    if (!retry) {
      const tries = n === 1 ? "" : ` after ${n} attempts in ${(elapsed() / 1000).toFixed(1)} s`;
      throw new ModelFetchError(
        `${uri} could not be fetched${tries} (${failure.message})`,
        failure.retryable,
      );
    }
    await sleep(backoff);
  }
}

function line(
  uri: string,
  attempt: number,
  budget: Budget,
  outcome: AttemptLine["outcome"],
  started: number,
): AttemptLine {
  return {
    dependency: "s3",
    uri,
    attempt,
    attempts: budget.attempts,
    outcome,
    ms: Math.round(performance.now() - started),
  };
}
