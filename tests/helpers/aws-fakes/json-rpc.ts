/**
 * A local HTTP fake of an AWS JSON 1.1 service (SageMaker, CodeDeploy, …) as the SDK speaks to
 * it: POST / with `Content-Type: application/x-amz-json-1.1`, the operation in
 * `X-Amz-Target: <prefix>.<Operation>`, a SigV4 `Authorization` header; answers are JSON, and
 * errors `{"__type": <code>, "message": …}` with a 4xx or 5xx status. A request of another shape
 * gets a 400 that says what is wrong, and is recorded, so a test sees it. Listens on 127.0.0.1,
 * port 0.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface JsonRpcCall {
  readonly operation: string;
  readonly input: unknown;
}

export interface JsonRpcAnswer {
  /** Default 200. */
  readonly status?: number;
  readonly body: unknown;
  /** Hold the answer this long first (a slow service). Default 0. */
  readonly delayMs?: number;
}

export type JsonRpcHandler = (call: JsonRpcCall) => JsonRpcAnswer | Promise<JsonRpcAnswer>;

/** An AWS error answer in the JSON 1.1 protocol's shape. */
export const awsError = (status: number, type: string, message: string): JsonRpcAnswer => ({
  status,
  body: { __type: type, message },
});

/** The wire form of a JSON 1.1 value: timestamps are epoch seconds. */
export const toWire = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      return raw instanceof Date ? raw.getTime() / 1000 : v;
    }),
  );

const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy(new Error("request body over 1 MiB"));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export class JsonRpcFake {
  readonly calls: JsonRpcCall[] = [];
  /** Requests the fake refused for their shape, with the reason. */
  readonly refused: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Serve `handler` for operations `<targetPrefix>.<Operation>` (e.g. "SageMaker"). */
  static async start(targetPrefix: string, handler: JsonRpcHandler): Promise<JsonRpcFake> {
    let fake: JsonRpcFake | undefined;
    const server = createServer(async (req, res) => {
      const send = (answer: JsonRpcAnswer) => {
        const body = JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, {
          "Content-Type": "application/x-amz-json-1.1",
          "Content-Length": Buffer.byteLength(body),
          "x-amzn-RequestId": `fake-${fake?.calls.length ?? 0}`,
        });
        res.end(body);
      };
      const refuse = (why: string) => {
        fake?.refused.push(why);
        send(awsError(400, "SerializationException", why));
      };
      try {
        const raw = await readBody(req);
        const target = String(req.headers["x-amz-target"] ?? "");
        if (req.method !== "POST" || req.url !== "/") return refuse(`${req.method} ${req.url}`);
        if (req.headers["content-type"] !== "application/x-amz-json-1.1") {
          return refuse(`Content-Type ${req.headers["content-type"]}`);
        }
        if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
          return refuse("no SigV4 Authorization header");
        }
        if (!target.startsWith(`${targetPrefix}.`)) return refuse(`X-Amz-Target ${target}`);
        const call = { operation: target.slice(targetPrefix.length + 1), input: JSON.parse(raw) };
        fake?.calls.push(call);
        const answer = await handler(call);
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        if (!res.destroyed) send(answer);
      } catch (error) {
        send(awsError(500, "InternalFailure", String(error)));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new JsonRpcFake(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** The calls of one operation. */
  callsOf(operation: string): JsonRpcCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
