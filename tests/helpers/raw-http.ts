/**
 * HTTP/1.1 by hand over a TCP socket, for what fetch cannot do: send half a request and wait,
 * stream a body without ever ending it, see exactly when the server answers and whether it
 * closes the connection. Every wait is bounded so that a server that hangs fails the test.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parse one response off the front of `text`, or undefined while it is incomplete. */
export function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body) < length) return undefined;
  return { status: Number(statusLine?.split(" ")[1]), headers, body: body.slice(0, length) };
}

export class RawConnection {
  received = "";
  closed = false;
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.received += chunk;
    });
    socket.on("close", () => {
      this.closed = true;
    });
    // a reset after the server has answered is the server's choice; the test looks at what came
    socket.on("error", () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.write(data, () => resolve());
    });
  }

  /** The first response, once it is complete. */
  async response(limitMs = 10_000): Promise<RawResponse> {
    await this.until(() => parseResponse(this.received) !== undefined, "a response", limitMs);
    return parseResponse(this.received) as RawResponse;
  }

  /** Wait for the server to close the connection. */
  async serverCloses(limitMs = 10_000): Promise<void> {
    await this.until(() => this.closed, "the connection to close", limitMs);
  }

  /** Stop reading: what the server writes piles up in the socket buffers, then in its own. */
  pause(): void {
    this.socket.pause();
  }

  /** Read again after pause(). */
  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async until(done: () => boolean, what: string, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(
          `no ${what} after ${limitMs} ms; received ${JSON.stringify(this.received)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
