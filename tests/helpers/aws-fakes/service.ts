/**
 * A local stand-in for one AWS service API on 127.0.0.1, which the SDK reaches through
 * AWS_ENDPOINT_URL_<SERVICE>. A protocol (json-protocol.ts for the JSON 1.0/1.1 services,
 * lambda.ts's REST-JSON one) turns a request into an operation and its input, and an output or a
 * fault into the wire answer; the operations are plain functions typed with the SDK's own input
 * and output types, so a fixture the SDK could not parse does not compile, and one it parses
 * wrongly fails the test that reads it back through the SDK. Every call is recorded with the
 * region and service of its SigV4 signature; queued faults answer before (or after) the handler
 * runs, for the throttling and failure tests, and a handler may hold its answer back (`Delayed`)
 * for a slow service or one that never answers; a queued `Trickle` sends the headers of an
 * answer and its first byte, then nothing (a connection that stalls mid-body).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An error answer: the HTTP status and the error code AWS would send. */
export class AwsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An answer (an output or a fault) sent `ms` late: a slow service, or, past the client's own
 * timeout, one that never answers. Dropped when the client hangs up or the fake closes, so no
 * timer outlives the test. (NoInfer: the output type comes from where the answer goes, a handler
 * or a script, so a delayed fault fits any operation.)
 */
export class Delayed<Output> {
  constructor(
    readonly ms: number,
    readonly answer: NoInfer<Output> | AwsFault,
  ) {}
}

/**
 * A 200 answer that stalls after its headers and first byte, until the client hangs up or the
 * fake closes: what a client's request timeout, which stops at the headers, does not catch.
 */
export class Trickle {}

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface Protocol {
  /** The operation a request calls and its input; throws an AwsFault for what AWS refuses. */
  parse(req: IncomingMessage, body: string): { operation: string; input: unknown };
  answer(output: unknown): WireAnswer;
  fault(fault: AwsFault): WireAnswer;
}

/** Operation name to [input, output] types, from the SDK's models. */
export type Operations = Record<string, [unknown, unknown]>;
export type Handlers<Ops extends Operations> = {
  [Op in keyof Ops]: (input: Ops[Op][0]) => Ops[Op][1] | Delayed<Ops[Op][1]>;
};

export interface Call {
  readonly operation: string;
  readonly input: unknown;
  /** From the SigV4 credential scope: what the SDK signed for. */
  readonly region: string;
  readonly signingService: string;
}

interface QueuedFault {
  readonly fault: AwsFault | Trickle;
  /** Run the operation first, then answer the fault: an answer lost on its way back. */
  readonly afterHandler: boolean;
}

const MAX_BODY = 1024 * 1024;
// AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, ...
const SCOPE =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,/;

/** Timestamps as the JSON protocols send them by default: epoch seconds. */
export function wireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const original = this[key];
    return original instanceof Date ? original.getTime() / 1000 : v;
  });
}

export class FakeService<Ops extends Operations> {
  readonly calls: Call[] = [];
  private readonly queued = new Map<string, QueuedFault[]>();

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly endpoint: string,
  ) {}

  static async start<Ops extends Operations>(
    protocol: Protocol,
    handlers: Handlers<Ops>,
  ): Promise<FakeService<Ops>> {
    let fake: FakeService<Ops> | undefined;
    const server = createServer((req, res) => {
      readBody(req, res, (body) => fake?.serve(protocol, handlers, req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeService<Ops>(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** The next calls of `operation` get these faults, one each, before it answers normally. */
  failNext(
    operation: keyof Ops & string,
    faults: (AwsFault | Trickle)[],
    afterHandler = false,
  ): void {
    const queue = this.queued.get(operation) ?? [];
    queue.push(...faults.map((fault) => ({ fault, afterHandler })));
    this.queued.set(operation, queue);
  }

  /** Forget the calls and any faults still queued. */
  reset(): void {
    this.calls.length = 0;
    this.queued.clear();
  }

  count(operation: keyof Ops & string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(
    protocol: Protocol,
    handlers: Handlers<Ops>,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ): void {
    const { answer, delayMs, trickle } = this.respond(protocol, handlers, req, body);
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, {
        ...answer.headers,
        "content-length": Buffer.byteLength(answer.body),
        "x-amzn-requestid": `fake-${this.calls.length}`,
      });
      if (trickle) res.write(answer.body.slice(0, 1));
      else res.end(answer.body);
    };
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(send, delayMs);
    res.on("close", () => clearTimeout(timer));
  }

  private respond(
    protocol: Protocol,
    handlers: Handlers<Ops>,
    req: IncomingMessage,
    body: string,
  ): { answer: WireAnswer; delayMs: number; trickle?: boolean } {
    let delayMs = 0;
    try {
      const scope = SCOPE.exec(req.headers.authorization ?? "");
      if (!scope) throw new AwsFault(403, "MissingAuthenticationTokenException", "not signed");
      const { operation, input } = protocol.parse(req, body);
      this.calls.push({ operation, input, region: scope[1] ?? "", signingService: scope[2] ?? "" });
      const handler = handlers[operation];
      if (!handler) throw new AwsFault(400, "UnknownOperationException", operation);
      const queued = this.queued.get(operation)?.shift();
      if (queued?.fault instanceof Trickle) {
        return { answer: protocol.answer({}), delayMs, trickle: true };
      }
      if (queued && !queued.afterHandler) throw queued.fault;
      const result = handler(input);
      if (queued) throw queued.fault;
      if (!(result instanceof Delayed)) return { answer: protocol.answer(result), delayMs };
      delayMs = result.ms;
      if (result.answer instanceof AwsFault) throw result.answer;
      return { answer: protocol.answer(result.answer), delayMs };
    } catch (err) {
      if (!(err instanceof AwsFault)) throw err;
      return { answer: protocol.fault(err), delayMs };
    }
  }
}

function readBody(req: IncomingMessage, res: ServerResponse, done: (body: string) => void) {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_BODY) {
      res.writeHead(413).end();
      return;
    }
    done(Buffer.concat(chunks).toString("utf8"));
  });
}
