/**
 * When a request's answer is gone: its response closed, or its connection did. Node 20 emits no
 * 'close' on a pipelined response still queued behind another when the socket is destroyed (it
 * never got the socket), so counting on the response's 'close' alone leaked whatever it held.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";

const pending = Symbol("releases to run when the socket closes");
type Watched = Socket & { [pending]?: Set<() => void> };

/** Run `release` exactly once, when `res` closes or its socket does, whichever is first. */
export function whenGone(res: ServerResponse, release: () => void): void {
  const socket = res.req.socket as Watched;
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    socket[pending]?.delete(once);
    release();
  };
  res.once("close", once);
  if (socket.closed) {
    // its 'close' has been emitted: after what the caller counts now
    setImmediate(once);
    return;
  }
  // one listener a socket, however many requests are pipelined on it
  let releases = socket[pending];
  if (releases === undefined) {
    const set = new Set<() => void>();
    releases = set;
    socket[pending] = set;
    socket.once("close", () => {
      for (const release of [...set]) release();
    });
  }
  releases.add(once);
}
