/**
 * The server app as its own process, for a test that weighs its heap (run with --expose-gc):
 * `heap-server.ts <model.tar.gz>` listens on 127.0.0.1, a port the OS picks, and prints
 * `listening <port>`; on SIGUSR2 it collects garbage and prints `heap <bytes used>`.
 */
import type { AddressInfo } from "node:net";
import { loadPredictor } from "../../core/predictor.js";
import { buildApp } from "../../server/app.js";

async function main(): Promise<void> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  const app = buildApp({ predictor: await loadPredictor(process.argv[2] as string) });
  await app.listen({ host: "127.0.0.1", port: 0 });
  process.on("SIGUSR2", () => {
    // twice: what the first collection frees can hold more garbage (finalizers, weak maps)
    gc();
    gc();
    process.stdout.write(`heap ${process.memoryUsage().heapUsed}\n`);
  });
  process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
  process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
