/**
 * Start the app on a port and stop it cleanly on SIGTERM/SIGINT: stop accepting, close idle
 * keep-alive connections, finish the requests in flight, exit 0. A client that holds a request
 * open past the grace period is cut off, so that a stop always ends.
 */
import type { App } from "./app.js";

/** Longest wait for requests in flight after a stop signal (docker stop waits 10 s). */
export const STOP_GRACE_MS = 8_000;

export async function listenUntilSignal(app: App, host: string, port: number): Promise<string> {
  const address = await app.listen({ host, port });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "stopping");
    const cutOff = setTimeout(() => {
      app.log.warn({ graceMs: STOP_GRACE_MS }, "requests still open after the grace period: cut");
      app.server.closeAllConnections();
    }, STOP_GRACE_MS);
    cutOff.unref();
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        app.log.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return address;
}
