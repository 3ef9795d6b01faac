/**
 * `POST /invocations`, SageMaker's prediction route: the body read as its Content-Type says
 * (CSV, JSON lines or JSON; serving/invocations.ts) and answered as Accept asks, with SageMaker's
 * custom attributes, counted in the invocations summary (server/invocations-summary.ts). A large
 * batch is read, predicted and written in slices (server/slices.ts) that let other requests in.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { batchPredictions } from "../core/batch.js";
import { FEATURES } from "../core/features.js";
import { columnItems, type ItemText } from "../serving/column-answers.js";
import { InvocationLines } from "../serving/invocation-lines.js";
import {
  CSV_TYPE,
  invocationFormatter,
  JSON_TYPE,
  JSONLINES_TYPE,
  type MediaType,
  type RowSource,
  requestType,
  responseType,
  rowSource,
} from "../serving/invocations.js";
import { INVOCATIONS_MAX_BODY_BYTES } from "../serving/limits.js";
import { invocationAttributes } from "../serving/model-version-headers.js";
import { AnswerText } from "./answer-text.js";
import { readBody } from "./body.js";
import type { InvocationsSummary } from "./invocations-summary.js";
import { checkBodyHeaders } from "./media-type.js";
import type { PredictionTally } from "./metrics.js";
import { JSON_UTF8 } from "./reply.js";
import type { RouteContext } from "./route-context.js";
import type { Handler } from "./router.js";
import { inSlices } from "./slices.js";

/** Rows read, predicted and written between two looks at the clock (server/slices.ts). */
const ROWS_PER_STEP = 256;

/** Lines read and predicted at once by answerLines: a step of well under a millisecond. */
const LINES_PER_STEP = 1024;

/** How each answer type is labelled (as the fastify server labelled them). */
const CONTENT_TYPES: Record<MediaType, string> = {
  [JSON_TYPE]: JSON_UTF8,
  [CSV_TYPE]: "text/csv",
  [JSONLINES_TYPE]: "application/jsonlines; charset=utf-8",
};

export function invocationsRoute(context: RouteContext, summary: InvocationsSummary): Handler {
  const { predictor, inFlight, reply, metrics, capture, holdParsed, parseInTurn, admitted } =
    context;
  const version = predictor.modelVersion;
  const attributes = invocationAttributes(version);
  const jsonBody = {
    limit: INVOCATIONS_MAX_BODY_BYTES,
    inFlight,
    invalidUtf8: "bad_json",
  } as const;
  const textBody = {
    limit: INVOCATIONS_MAX_BODY_BYTES,
    inFlight,
    invalidUtf8: "bad_input",
  } as const;

  // /invocations reads the body as its Content-Type says and answers as Accept asks; a large
  // batch is read, predicted and written in slices that let other requests in between
  function invocations(req: IncomingMessage, res: ServerResponse): void {
    summary.track(res, version);
    checkBodyHeaders(req.headers);
    const type = req.headers["content-type"];
    const input = requestType(type);
    const output = responseType(req.headers.accept);
    if (!admitted(res)) return;
    readBody(req, res, input === JSON_TYPE ? jsonBody : textBody, (refused, text, bytes) => {
      if (refused) {
        reply.error(res, refused);
        return;
      }
      parseInTurn(res, text, () => {
        if (input !== JSON_TYPE) {
          let lines: InvocationLines;
          try {
            lines = new InvocationLines(input, bytes);
          } catch (error) {
            reply.failure(res, error);
            return;
          }
          answerLines(res, lines, output);
          return;
        }
        let source: RowSource;
        try {
          holdParsed(res, text);
          source = rowSource(input, text);
        } catch (error) {
          reply.failure(res, error);
          return;
        }
        answerRows(res, source, output);
      });
    });
  }

  /** Each answer type's row text from columnar predictions, made on first use. */
  const columnTexts = new Map<MediaType, ItemText>();
  const columnText = (output: MediaType): ItemText => {
    let text = columnTexts.get(output);
    if (text === undefined) {
      const { item } = invocationFormatter(output, version);
      text = columnItems(predictor.classes, predictor.trees, item);
      columnTexts.set(output, text);
    }
    return text;
  };

  /**
   * Once every row is predicted, give back the body's bytes, write the answer and count it
   * (true); after an error, answer that instead (false).
   */
  function streamAnswer(
    res: ServerResponse,
    error: unknown,
    bodyBytes: number,
    output: MediaType,
    answer: AnswerText,
    tally: PredictionTally | undefined,
  ): boolean {
    if (error !== undefined) {
      reply.failure(res, error);
      return false;
    }
    inFlight.release(res, bodyBytes);
    reply.stream(res, 200, CONTENT_TYPES[output], answer, attributes);
    if (tally !== undefined) metrics?.add(tally);
    return true;
  }

  /**
   * answerRows for a CSV or JSON-lines body, columnar: a run of lines read from its bytes into
   * one Float64Array, predicted at once (core/batch.ts), each row's answer text looked up by its
   * votes. The same answer, status and tally as answerRows, with nothing made per row.
   */
  function answerLines(res: ServerResponse, lines: InvocationLines, output: MediaType): void {
    const bodyBytes = inFlight.heldBy(res);
    const format = invocationFormatter(output, version);
    const answer = AnswerText.reserved(format, lines.rows, (bytes) => inFlight.reserve(res, bytes));
    if (answer === undefined) {
      reply.error(res, inFlight.busy());
      return;
    }
    const text = columnText(output);
    const step = Math.min(LINES_PER_STEP, lines.rows);
    const values = new Float64Array(step * FEATURES.length);
    const out = batchPredictions(step, predictor.classes.length);
    const tally = metrics?.tally();
    const captured = capture?.request(version);
    inSlices(
      () => {
        const count = lines.read(values, step);
        predictor.predictColumns(values, count, out);
        tally?.addColumns(out, count);
        captured?.addColumns(values, out, count, predictor.classes);
        for (let row = 0; row < count; row++)
          if (!answer.add(text(out, row))) throw inFlight.busy();
        return !lines.done;
      },
      (error) => {
        if (!streamAnswer(res, error, bodyBytes, output, answer, tally)) return;
        captured?.done();
      },
      { stopped: () => res.destroyed },
    );
  }

  /**
   * Predict every row of `source` in slices, then answer. Every row is read and predicted before
   * the status is sent, so that a bad row is a 400 and never a 200 cut short; the answer is kept
   * as an AnswerText (its bytes reserved in the budget before the work starts) and written as
   * the socket takes it. The body's bytes (and a JSON body's parsed tree) are given back once
   * its rows have been read.
   */
  function answerRows(res: ServerResponse, source: RowSource, output: MediaType): void {
    const bodyBytes = inFlight.heldBy(res);
    const format = invocationFormatter(output, version);
    const answer = AnswerText.reserved(format, source.rows, (bytes) =>
      inFlight.reserve(res, bytes),
    );
    if (answer === undefined) {
      reply.error(res, inFlight.busy());
      return;
    }
    // the only reference to the rows (and the body text behind them), dropped when done
    let rest: RowSource | undefined = source;
    const rows: number[][] = [];
    const tally = metrics?.tally();
    const captured = capture?.request(version);
    inSlices(
      () => {
        rows.length = 0;
        const from = rest as RowSource;
        for (let row = from.next(); row !== undefined; row = from.next()) {
          rows.push(row);
          if (rows.length === ROWS_PER_STEP) break;
        }
        const predictions = predictor.predictBatch(rows);
        tally?.addPredictions(predictions);
        captured?.add(rows, predictions);
        for (const prediction of predictions)
          if (!answer.add(format.item(prediction))) throw inFlight.busy();
        return rows.length === ROWS_PER_STEP;
      },
      (error) => {
        rest = undefined;
        rows.length = 0;
        if (!streamAnswer(res, error, bodyBytes, output, answer, tally)) return;
        captured?.done();
      },
      { stopped: () => res.destroyed },
    );
  }

  return invocations;
}
