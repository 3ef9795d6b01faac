/**
 * The before/after table of the hardening issue: every abuse class of bench/lib/attacks.ts run
 * against `iris-mlops serve` started from each folder given (e.g. a worktree of the old commit
 * and this one), a fresh server per class, in one run. Prints a markdown table: class, requests
 * sent, 5xx (the documented 503 apart), crashes, hangs, peak RSS, worst /ping time under attack.
 *
 *   npm run attack -- /tmp/old .     (git worktree add /tmp/old e160774; symlink node_modules)
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { train } from "../training/train.js";
import { writeArtifact } from "../training/write.js";
import { startServer } from "./lib/attack-server.js";
import { ATTACKS, FULL_SCALE, type Outcome, probePing, sigtermUnderLoad } from "./lib/attacks.js";

interface Row extends Outcome {
  root: string;
  name: string;
  crashed: boolean;
  peakRssMb: number;
  pingWorstMs: number;
}

async function runClass(root: string, model: string, name: string): Promise<Row> {
  const server = await startServer(root, model);
  const target = { port: server.port, exited: server.exited };
  const probe = probePing(server.port);
  let outcome: Outcome;
  let crashed = false;
  try {
    if (name === "SIGTERM under load (4 × 6 MiB)") {
      const result = await sigtermUnderLoad(target, FULL_SCALE, () => server.child.kill("SIGTERM"));
      const exit = await Promise.race([server.exit, new Promise((r) => setTimeout(r, 100))]);
      crashed = exit !== undefined && (exit as { code: number | null }).code !== 0;
      if (result.exitMs === undefined || result.exitMs > 10_000) result.hangs++;
      outcome = result;
    } else {
      outcome = await (ATTACKS[name] as (typeof ATTACKS)[string])(target, FULL_SCALE);
      crashed = server.exited();
    }
  } finally {
    await new Promise((r) => setTimeout(r, 200));
  }
  const { worstMs } = await probe.stop();
  const peakRssMb = server.peakRssMb();
  await server.stop();
  return { ...outcome, root, name, crashed, peakRssMb, pingWorstMs: worstMs };
}

async function main() {
  const roots = process.argv.slice(2).map((root) => resolve(root));
  if (roots.length === 0) throw new Error("usage: npm run attack -- <folder> [<folder> …]");
  const model = await mkdtemp(join(tmpdir(), "attack-model-"));
  await writeArtifact(model, train(loadIris(), DEFAULT_TRAIN_OPTIONS).files);
  const names = [...Object.keys(ATTACKS), "SIGTERM under load (4 × 6 MiB)"];
  const rows: Row[] = [];
  for (const name of names) {
    for (const root of roots) {
      const row = await runClass(root, model, name);
      rows.push(row);
      process.stderr.write(`${name} @ ${root}: ${JSON.stringify(row)}\n`);
    }
  }
  const lines = [
    "| abuse class | server | requests | 5xx (503) | crashes | hangs | cut 200s | peak RSS | worst /ping | notes |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.root} | ${r.sent} | ${r.fiveXX} (${r.busy}) | ${r.crashed ? 1 : 0} | ${r.hangs} | ${r.truncated} | ${Math.round(r.peakRssMb)} MB | ${r.pingWorstMs >= 5000 ? "> 5 s" : `${Math.round(r.pingWorstMs)} ms`} | ${r.notes.join("; ")} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
