/**
 * `POST /invocations` on a 5 MB CSV and a 5 MB JSON-lines body (issue #13.4), server-side rows/s
 * over HTTP on 127.0.0.1: today's app against the app of a baseline commit (BENCH_BASELINE_REF,
 * default d848fc3, the per-row path before the columnar one), unpacked from git into a temporary
 * folder that borrows this checkout's node_modules, both serving the same model in this process,
 * measured in turns in the same run; medians of BENCH_ROUNDS (default 7) rounds.
 *
 *   npm run bench:invocations
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { packTarGz } from "../core/archive.js";
import { loadPredictor, type Predictor } from "../core/predictor.js";
import { buildApp } from "../server/app.js";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { train } from "../training/train.js";
import { rowsText } from "./lib/rows.js";
import { median } from "./lib/stats.js";

const REF = process.env.BENCH_BASELINE_REF || "d848fc3";
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const TARGET_BYTES = 5_000_000;

interface Served {
  url: string;
  close(): Promise<void>;
}

type BuildApp = (options: { predictor: Predictor }) => {
  listen(o: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
};

async function serve(build: BuildApp, predictor: Predictor): Promise<Served> {
  const app = build({ predictor });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, close: () => app.close() };
}

/** Milliseconds from sending `body` to the answer's last byte; throws unless 200. */
function post(url: string, type: string, body: Buffer): Promise<number> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const req = request(
      `${url}/invocations`,
      { method: "POST", headers: { "content-type": type, accept: type } },
      (res) => {
        res.on("data", () => undefined);
        res.on("end", () =>
          res.statusCode === 200
            ? done(performance.now() - start)
            : fail(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

/** A body of about TARGET_BYTES of `format` rows, and how many rows it holds. */
function payload(format: "csv" | "jsonl"): { body: Buffer; rows: number } {
  const probe = Buffer.byteLength(rowsText(1000, format, 5)) / 1000;
  const rows = Math.round(TARGET_BYTES / probe);
  return { body: Buffer.from(rowsText(rows, format, 5)), rows };
}

function baselineApp(): { build: Promise<BuildApp>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "invocations-baseline-"));
  const archive = execFileSync("git", ["archive", "--format=tar", REF], {
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  const build = import(join(dir, "server", "app.ts")).then(
    (m: { buildApp: BuildApp }) => m.buildApp,
  );
  return { build, dir };
}

async function main(): Promise<void> {
  const trained = train(loadIris(), DEFAULT_TRAIN_OPTIONS);
  const predictor = await loadPredictor(await packTarGz(trained.files));
  const baseline = baselineApp();
  const before = await serve(await baseline.build, predictor);
  const now = await serve(buildApp as unknown as BuildApp, predictor);
  const lines: string[] = [];
  try {
    for (const [format, type] of [
      ["csv", "text/csv"],
      ["jsonl", "application/jsonlines"],
    ] as const) {
      const { body, rows } = payload(format);
      // one warm-up each, then turns in alternating order
      await post(before.url, type, body);
      await post(now.url, type, body);
      const times = { before: [] as number[], now: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 ? (["now", "before"] as const) : (["before", "now"] as const);
        for (const which of order)
          times[which].push(await post((which === "now" ? now : before).url, type, body));
      }
      const b = median(times.before);
      const n = median(times.now);
      const rate = (ms: number) => ((rows / ms) * 1000) / 1e6;
      lines.push(
        `| ${type} -> ${type} | ${(body.length / 1e6).toFixed(2)} MB, ${rows} rows | ` +
          `${b.toFixed(0)} ms, ${rate(b).toFixed(2)} M rows/s | ${n.toFixed(0)} ms, ${rate(n).toFixed(2)} M rows/s | ${(b / n).toFixed(1)}x |`,
      );
    }
  } finally {
    await Promise.all([before.close(), now.close()]);
    rmSync(baseline.dir, { recursive: true, force: true });
  }
  console.log(
    `POST /invocations over HTTP on 127.0.0.1, medians of ${ROUNDS} rounds, baseline ${REF}\n`,
  );
  console.log("| body | size | baseline | now | speed-up |\n|---|---|---|---|---|");
  for (const line of lines) console.log(line);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
