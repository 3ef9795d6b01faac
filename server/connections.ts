/**
 * The open-connections budget: at most `max` sockets at once, each a file descriptor and a
 * parser. A connection that arrives at the cap makes room by closing the one idle longest (no
 * request being answered: it has sent nothing yet, is still sending its headers, or waits
 * between keep-alive requests), so that a flood of idle or slow connections can neither run
 * the process out of descriptors nor lock out `/ping`; node's own `maxConnections` would
 * refuse the newcomer instead. Only when every connection is busy is the newcomer closed.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { whenGone } from "./gone.js";

export const DEFAULT_MAX_CONNECTIONS = 1024;

const active = Symbol("requests being answered");
type Counted = Socket & { [active]?: number };

export class Connections {
  /** Open connections, the idle longest first (a connection moves last when it falls idle). */
  private readonly open = new Set<Counted>();

  constructor(
    server: Server,
    readonly max: number = DEFAULT_MAX_CONNECTIONS,
  ) {
    server.on("connection", (socket: Counted) => this.admit(socket));
  }

  get size(): number {
    return this.open.size;
  }

  /** Count a request as being answered on its connection until its answer is done. */
  busy(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as Counted;
    socket[active] = (socket[active] ?? 0) + 1;
    whenGone(res, () => {
      socket[active] = (socket[active] ?? 1) - 1;
      if (socket[active] === 0 && this.open.delete(socket)) this.open.add(socket);
    });
  }

  private admit(socket: Counted): void {
    if (this.open.size >= this.max && !this.closeIdlest()) {
      socket.destroy();
      return;
    }
    this.open.add(socket);
    socket.once("close", () => this.open.delete(socket));
  }

  /** Close the connection idle longest; false when none is idle. */
  private closeIdlest(): boolean {
    for (const socket of this.open) {
      if ((socket[active] ?? 0) > 0) continue;
      this.open.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }
}
