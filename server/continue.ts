/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): the client waits for `100 Continue` before it
 * sends its body. Node would send it at once; here it is sent only when the body is about to
 * be read, so that a request refused on its headers alone (a declared length over the limit,
 * a Content-Type not read, an unknown route, a busy server) is refused before the client has
 * sent a byte of its body. Such an answer closes the connection: the client may send the body
 * after it or not, and the next request cannot be told from it.
 */
import type { ServerResponse } from "node:http";

const awaiting = Symbol("awaiting 100-continue");
type Continuable = ServerResponse & { [awaiting]?: boolean };

/** `res` answers a request that waits for 100 Continue (node's 'checkContinue'). */
export function awaitContinue(res: ServerResponse): void {
  (res as Continuable)[awaiting] = true;
}

/** Tell a waiting client to send its body; nothing if it was not waiting. */
export function sendContinue(res: ServerResponse): void {
  if ((res as Continuable)[awaiting] !== true) return;
  (res as Continuable)[awaiting] = false;
  res.writeContinue();
}

/** True when the client was never told to send the body it may still send. */
export const continueWithheld = (res: ServerResponse): boolean =>
  (res as Continuable)[awaiting] === true;
