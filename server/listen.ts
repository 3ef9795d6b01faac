/** Start the app on a port and stop it cleanly on SIGTERM/SIGINT (in-flight requests finish). */
import type { FastifyInstance } from "fastify";

export async function listenUntilSignal(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<string> {
  const address = await app.listen({ host, port });
  const stop = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, "stopping");
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return address;
}
