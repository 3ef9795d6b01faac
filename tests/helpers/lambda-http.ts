/**
 * A Lambda handler behind a real HTTP port, as API Gateway's HTTP API puts it (payload 2.0,
 * `$default` stage): each request becomes the event API Gateway would send, each result the
 * answer it would give. Small and strict enough for a browser to talk to the handler end to end;
 * it is no authoriser (the handler's auth setting only changes what the page says). The request
 * headers each call carried are kept, for tests that look at what the page sent.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiHandler } from "../../handlers/api.js";
import { httpEvent, lambdaContext } from "./events.js";

export interface LambdaHttp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request's method, path and headers, in order. */
  readonly seen: { method: string; path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** API Gateway's payload limit (10 MB) is far above anything a test sends; this bounds memory. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function serveLambda(handler: ApiHandler): Promise<LambdaHttp> {
  const seen: LambdaHttp["seen"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      seen.push({ method: req.method ?? "", path: url.pathname, headers: req.headers });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
      const body = Buffer.concat(chunks).toString("utf8");
      const event = httpEvent({
        method: req.method ?? "GET",
        path: url.pathname,
        headers,
        body: body === "" ? null : body,
        requestId: randomUUID(),
      });
      try {
        const result = await handler(event, lambdaContext());
        const text = result.isBase64Encoded
          ? Buffer.from(result.body, "base64")
          : Buffer.from(result.body);
        const answerHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(result.headers ?? {}))
          answerHeaders[name] = String(value);
        answerHeaders["content-length"] = `${text.length}`;
        res.writeHead(result.statusCode, answerHeaders);
        res.end(req.method === "HEAD" ? undefined : text);
      } catch {
        // API Gateway's answer when the function fails
        res.writeHead(500, { "content-type": "application/json" });
        res.end('{"message":"Internal Server Error"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
