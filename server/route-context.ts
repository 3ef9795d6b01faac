/**
 * What every route with a body is given by buildApp (server/app.ts): the one predictor, budget,
 * responder, metrics and capture, and the steps each such route takes with them — admitting a
 * request to the in-flight budget, parsing its body at its turn, holding the budget for a JSON
 * body's parsed tree.
 */
import type { ServerResponse } from "node:http";
import type { Predictor } from "../core/predictor.js";
import type { ServerCapture } from "./capture-sink.js";
import type { InFlight } from "./in-flight.js";
import type { ServerMetrics } from "./metrics.js";
import type { Responder } from "./reply.js";
import { inItsTurn } from "./slices.js";

/** A body this small is parsed at once (about 1 ms); a larger one waits for a turn of its own. */
const PARSED_AT_ONCE_BYTES = 16 * 1024;

/**
 * Bytes of the budget held for a JSON body's parsed tree, per byte of its text, from before
 * JSON.parse until its rows are read. Measured (64-bit V8): a `[[1,1,1,1],…]` batch parses to
 * 9.8 times its text, one of measurement objects to 2, `[[],[],…]` to 14, `[{},{},…]` to 22.
 * Eight lets one 6 MiB batch (48 MiB and its 6 MiB) fit in the 64 MiB default with its answer,
 * and keeps more than one large tree from being built at once.
 */
const PARSED_JSON_PER_BYTE = 8;

export interface RouteContext {
  readonly predictor: Predictor;
  readonly inFlight: InFlight;
  readonly reply: Responder;
  /** What it counts for `GET /metrics`; undefined when metrics are off. */
  readonly metrics: ServerMetrics | undefined;
  /** Which answered predictions are captured; undefined when none are. */
  readonly capture: ServerCapture | undefined;
  /** Hold the budget for the tree JSON.parse makes of `text`, or throw 503. */
  holdParsed(res: ServerResponse, text: string): void;
  /** Parse a body at its turn (server/slices.ts), not back to back with the others that ended. */
  parseInTurn(res: ServerResponse, text: string, parse: () => void): void;
  /** Admit a request with a body to the in-flight budget, or answer 503. */
  admitted(res: ServerResponse): boolean;
}

export function routeContext(
  shared: Pick<RouteContext, "predictor" | "inFlight" | "reply" | "metrics" | "capture">,
): RouteContext {
  const { inFlight, reply } = shared;
  return {
    ...shared,
    holdParsed(res, text) {
      if (!inFlight.reserve(res, text.length * PARSED_JSON_PER_BYTE)) throw inFlight.busy();
    },
    parseInTurn(res, text, parse) {
      inItsTurn(parse, text.length <= PARSED_AT_ONCE_BYTES, () => res.destroyed);
    },
    admitted(res) {
      if (inFlight.admit(res)) return true;
      reply.error(res, inFlight.busy());
      return false;
    },
  };
}
