/**
 * The process's in-flight budget: the bytes held for requests (their bodies as they arrive,
 * their answers until the socket has taken them) and the requests being served, across every
 * connection. A request that would pass it is answered 503 with Retry-After rather than let
 * memory grow with what clients send or refuse to read. Nothing is held past the budget: an
 * answer reserves its bytes like a body does, and gives back what it no longer uses.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { HttpError } from "../serving/errors.js";
import { whenGone } from "./gone.js";

export interface InFlightBudget {
  /** Bytes of bodies and answers held at once, across all requests. */
  bytes: number;
  /** Requests with a body being read, computed or answered at once. */
  requests: number;
  /**
   * Of those, on one connection: its answers go out one after another anyway, and a few
   * connections that pipeline and never read must not hold every slot.
   */
  perConnection: number;
}

export const DEFAULT_IN_FLIGHT: InFlightBudget = {
  // about five 6 MiB /invocations bodies with their answers: more at once only adds GC pauses
  // (twenty unread 6 MiB JSON-lines requests kept /ping waiting 2.7 s at 256 MiB)
  bytes: 64 * 1024 * 1024,
  requests: 64,
  // sixteen stuck connections to fill the budget, not one; a request being answered, one being
  // computed and two being read keep a pipelining client busy
  perConnection: 4,
};

/** What the 503 asks the client to wait, in seconds. */
export const RETRY_AFTER_SECONDS = 1;

const held = Symbol("in-flight bytes");
type Tracked = ServerResponse & { [held]?: number };
const admitted = Symbol("requests admitted on the connection");
type Shared = Socket & { [admitted]?: number };

export class InFlight {
  bytes = 0;
  requests = 0;

  constructor(readonly budget: InFlightBudget = DEFAULT_IN_FLIGHT) {}

  /** Count a request until its answer is gone; false (count nothing) when the budget is spent. */
  admit(res: ServerResponse): boolean {
    const socket = res.req.socket as Shared;
    const onSocket = socket[admitted] ?? 0;
    if (this.requests >= this.budget.requests || onSocket >= this.budget.perConnection)
      return false;
    this.requests++;
    socket[admitted] = onSocket + 1;
    whenGone(res, () => {
      this.requests--;
      socket[admitted] = (socket[admitted] ?? 1) - 1;
    });
    return true;
  }

  /** Hold `bytes` more for `res` until its answer is gone; false when they would pass the budget. */
  reserve(res: ServerResponse, bytes: number): boolean {
    if (this.bytes + bytes > this.budget.bytes) return false;
    const tracked = this.track(res);
    tracked[held] = (tracked[held] ?? 0) + bytes;
    this.bytes += bytes;
    return true;
  }

  /** The bytes held for `res` now. */
  heldBy(res: ServerResponse): number {
    return (res as Tracked)[held] ?? 0;
  }

  /** Give back `bytes` of what `res` holds (all of it by default): memory it no longer uses. */
  release(res: ServerResponse, bytes = this.heldBy(res)): void {
    const tracked = res as Tracked;
    const given = Math.min(bytes, tracked[held] ?? 0);
    if (given <= 0) return;
    tracked[held] = (tracked[held] ?? 0) - given;
    this.bytes -= given;
  }

  busy(): HttpError {
    return new HttpError(
      503,
      "overloaded",
      `the server is at its in-flight budget (${this.budget.requests} requests, ${this.budget.perConnection} of them on one connection, ${this.budget.bytes} bytes); retry after ${RETRY_AFTER_SECONDS} s`,
    );
  }

  private track(res: ServerResponse): Tracked {
    const tracked = res as Tracked;
    if (tracked[held] === undefined) {
      tracked[held] = 0;
      whenGone(res, () => {
        this.bytes -= tracked[held] ?? 0;
        tracked[held] = 0;
      });
    }
    return tracked;
  }
}
