/**
 * The container's own metrics per model version (AWS/SageMaker's know only the endpoint and the
 * variant): the /invocations answers counted as they go, and written as one log line per model
 * version, `"msg":"invocations summary"`, once per interval in which there were any and once at
 * stop. The stack turns the lines into CloudWatch metrics with log metric filters, so a
 * canary's errors and latency are told apart from the stable version's (docs/container.md).
 * A counter per answer; never a log line per request.
 */
import type { ServerResponse } from "node:http";
import { whenGone } from "./gone.js";
import type { Logger } from "./log.js";

/** CloudWatch alarms that guard a rollout's bake use 60 s periods: one line per period. */
export const SUMMARY_INTERVAL_MS = 60_000;

interface Counts {
  invocations: number;
  /** 4xx answers. */
  clientErrors: number;
  /** 5xx answers. */
  serverErrors: number;
  /** Server-side time to answer, from the request's headers to the answer's last byte. */
  latencyMsSum: number;
  latencyMsMax: number;
}

/**
 * Whether the answer reached its socket: sent whole, or being written when it was cut. One
 * queued behind another answer on a pipelining connection has `headersSent` (written into
 * node's queue) but never had the socket: it reached no client, so it is not counted.
 */
const written = (res: ServerResponse): boolean =>
  res.headersSent && (res.writableFinished || res.socket !== null);

/** Milliseconds to the microsecond: what a log line needs. */
const micros = (ms: number): number => Math.round(ms * 1000) / 1000;

export class InvocationsSummary {
  private counts = new Map<string, Counts>();
  /**
   * The answers tracked whose 'close' has not come yet. An answer cut at the end of the
   * shutdown grace closes after the server has closed, and the process exits then: stop()
   * counts these itself, or the last line would miss exactly the answers a rollout must see.
   */
  private readonly open = new Map<ServerResponse, () => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    intervalMs: number = SUMMARY_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    // a server with nothing else to do stops; the last counts are written by stop()
    this.timer.unref();
  }

  /**
   * Count the answer to `res` by `modelVersion` once it has gone. A request whose connection
   * ended before an answer was started (the client went away; a pipelined request queued behind
   * it, which gets no 'close' at all, server/gone.ts) has no status to count.
   */
  track(res: ServerResponse, modelVersion: string): void {
    const started = performance.now();
    const done = () => {
      if (!this.open.delete(res)) return;
      if (written(res)) this.count(modelVersion, res.statusCode, performance.now() - started);
    };
    this.open.set(res, done);
    // a response queued behind another emits no 'close' when its socket goes (server/gone.ts)
    whenGone(res, done);
  }

  count(modelVersion: string, status: number, latencyMs: number): void {
    let counts = this.counts.get(modelVersion);
    if (counts === undefined) {
      counts = {
        invocations: 0,
        clientErrors: 0,
        serverErrors: 0,
        latencyMsSum: 0,
        latencyMsMax: 0,
      };
      this.counts.set(modelVersion, counts);
    }
    counts.invocations++;
    if (status >= 500) counts.serverErrors++;
    else if (status >= 400) counts.clientErrors++;
    counts.latencyMsSum += latencyMs;
    if (latencyMs > counts.latencyMsMax) counts.latencyMsMax = latencyMs;
  }

  /** Write one line per model version counted since the last one, and start again from zero. */
  flush(): void {
    const counts = this.counts;
    if (counts.size === 0) return;
    this.counts = new Map();
    for (const [modelVersion, c] of counts) {
      this.log.info(
        {
          modelVersion,
          invocations: c.invocations,
          clientErrors: c.clientErrors,
          serverErrors: c.serverErrors,
          latencyMsSum: micros(c.latencyMsSum),
          latencyMsMax: micros(c.latencyMsMax),
        },
        "invocations summary",
      );
    }
  }

  /** Stop the timer and write what was counted since the last line, answers still open included. */
  stop(): void {
    clearInterval(this.timer);
    for (const done of [...this.open.values()]) done();
    this.flush();
  }
}
