/**
 * The AWS JSON 1.0 and 1.1 protocols (CodeDeploy, SageMaker, ...): every call is
 * `POST /` with `X-Amz-Target: <target prefix>.<Operation>` and a JSON body of the input; the
 * answer is the output as JSON, or an error status with `{"__type": <code>, "message": ...}`.
 */
import type { IncomingMessage } from "node:http";
import { AwsFault, type Protocol, wireJson } from "./service.js";

export function awsJsonProtocol(targetPrefix: string, version: "1.0" | "1.1"): Protocol {
  const contentType = `application/x-amz-json-${version}`;
  const json = (status: number, body: string) => ({
    status,
    headers: { "content-type": contentType },
    body,
  });
  return {
    parse(req: IncomingMessage, body: string) {
      const target = req.headers["x-amz-target"];
      if (req.method !== "POST" || req.url !== "/" || typeof target !== "string") {
        throw new AwsFault(404, "UnknownOperationException", `${req.method} ${req.url}`);
      }
      if (!target.startsWith(`${targetPrefix}.`)) {
        throw new AwsFault(400, "UnknownOperationException", `unknown target ${target}`);
      }
      if (req.headers["content-type"] !== contentType) {
        throw new AwsFault(400, "SerializationException", `content-type must be ${contentType}`);
      }
      let input: unknown;
      try {
        input = JSON.parse(body === "" ? "{}" : body);
      } catch {
        throw new AwsFault(400, "SerializationException", "the body is not JSON");
      }
      return { operation: target.slice(targetPrefix.length + 1), input };
    },
    answer: (output) => json(200, wireJson(output)),
    fault: (fault) =>
      json(fault.status, JSON.stringify({ __type: fault.code, message: fault.message })),
  };
}
