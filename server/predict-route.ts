/**
 * `POST /predict`, API Gateway's prediction route: a JSON body of rows, answered with their
 * predictions (serving/predict-api.ts), counted for metrics and captured like every answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { API_MAX_BODY_BYTES } from "../serving/limits.js";
import { predictRowsFromBody } from "../serving/predict-api.js";
import { readBody } from "./body.js";
import { checkBodyHeaders } from "./media-type.js";
import { JSON_UTF8 } from "./reply.js";
import type { RouteContext } from "./route-context.js";
import type { Handler } from "./router.js";

export function predictRoute(context: RouteContext): Handler {
  const { predictor, inFlight, reply, metrics, capture, holdParsed, parseInTurn, admitted } =
    context;
  const version = predictor.modelVersion;
  const predictBody = { limit: API_MAX_BODY_BYTES, inFlight, invalidUtf8: "bad_json" } as const;

  // /predict reads JSON whatever the body is labelled (curl -d says form-encoded)
  return function predict(req: IncomingMessage, res: ServerResponse): void {
    checkBodyHeaders(req.headers);
    if (!admitted(res)) return;
    readBody(req, res, predictBody, (refused, text) => {
      if (refused) {
        reply.error(res, refused);
        return;
      }
      parseInTurn(res, text, () => {
        try {
          holdParsed(res, text);
          const { response, rows, predictions } = predictRowsFromBody(predictor, text);
          const answer = JSON.stringify(response);
          // the body and its tree are garbage now; a big answer reserves its own bytes
          inFlight.release(res);
          reply.send(res, 200, JSON_UTF8, answer);
          metrics?.predicted(predictions);
          capture?.answered(version, rows, predictions);
        } catch (error) {
          reply.failure(res, error);
        }
      });
    });
  };
}
