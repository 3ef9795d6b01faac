/**
 * Misbehaving S3 stand-ins on 127.0.0.1 for the dependency tests: servers that accept a
 * connection and never answer, answer slowly, reset, fail then recover, or lie about their body.
 * Each counts its connections and is closed by its handle.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";

export interface FakeDependency {
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Request targets received so far (HTTP servers only). */
  readonly paths: string[];
  close(): Promise<void>;
}

async function listen(server: Server, paths: string[]): Promise<FakeDependency> {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts every connection, reads what is sent, never writes a byte. */
export const hangingServer = (): Promise<FakeDependency> =>
  listen(
    createTcpServer((socket) => socket.resume()),
    [],
  );

/** Resets every connection as soon as the request arrives. */
export const resettingServer = (): Promise<FakeDependency> =>
  listen(
    createTcpServer((socket) => socket.once("data", () => socket.resetAndDestroy())),
    [],
  );

/** An HTTP server answering the n-th request (0-based) with `answer(n, req, res)`. */
export function httpServer(
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<FakeDependency> {
  const paths: string[] = [];
  const server = createHttpServer((req, res) => {
    paths.push(req.url ?? "");
    answer(paths.length - 1, req, res);
  });
  return listen(server, paths);
}

/** Environment for fetchModelWithEnvCredentials (and the Lambda) pointing at `endpoint`. */
export const envFor = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "TEST",
  AWS_SECRET_ACCESS_KEY: "TEST",
});
