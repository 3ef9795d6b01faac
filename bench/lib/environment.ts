/** The machine a benchmark ran on, as its results record it. */
import { cpus, loadavg } from "node:os";

export function environment() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cpus: cpus().length,
    load_average_1m: loadavg()[0],
    date: new Date().toISOString(),
  };
}
