/**
 * `iris-mlops predict` file to file, as whole processes (node's start included), next to its
 * baselines in the same run (issue 13): a plain script that loads the same forest with
 * ml-random-forest and prints labels (bench/predict/library-labels.mjs), the command's per-line
 * path before the batch readers (bench/predict/per-line-cli.ts, bundled as the CLI is, so that
 * it starts as fast), and a bare reader that only parses the file
 * (bench/predict/bare-reader.mjs). Rounds run every command in turn; medians, and ratios paired
 * by round. Checks first that the outputs agree. Prints a table, writes bench/results/predict.json.
 *
 *   npm run bench:predict      (builds first; PREDICT_ROWS=300000 PREDICT_ROUNDS=5 by default)
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { table } from "../training/report.js";
import { train } from "../training/train.js";
import { writeArtifact } from "../training/write.js";
import { environment as machine } from "./lib/environment.js";
import { rowsText } from "./lib/rows.js";
import { median } from "./lib/stats.js";

const ROOT = resolve(__dirname, "..");
const ROWS = Number(process.env.PREDICT_ROWS ?? 300_000);
const ROUNDS = Number(process.env.PREDICT_ROUNDS ?? 5);
const TARGET_ROWS_PER_S = 1_500_000;
const TARGET_VS_LIBRARY = 10;
/** GNU time, for each run's CPU and peak memory; without it, wall time only. */
const TIME = "/usr/bin/time";

interface Run {
  wall: number;
  cpu?: number;
  peakMiB?: number;
}

/** Runs `args` with stdout to `out`; its wall time, and CPU and peak memory when GNU time is there. */
function timed(args: string[], out: string): Promise<Run> {
  const usage = `${out}.time`;
  const command = existsSync(TIME) ? [TIME, "-f", "%U %S %M", "-o", usage, ...args] : args;
  const start = process.hrtime.bigint();
  return new Promise((done, fail) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", openSync(out, "w"), "ignore"],
    });
    child.on("error", fail);
    child.on("close", () => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      if (!existsSync(usage)) return done({ wall });
      const [user, system, kb] = readFileSync(usage, "utf8")
        .trim()
        .split(/\s+/)
        .slice(-3)
        .map(Number);
      done({ wall, cpu: (user as number) + (system as number), peakMiB: (kb as number) / 1024 });
    });
  });
}

async function main(): Promise<void> {
  // the command as installed: package.json's bin
  const bin = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).bin["iris-mlops"];
  const cli = join(ROOT, bin);
  if (!existsSync(cli)) throw new Error(`${bin} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), "iris-predict-bench-"));
  try {
    process.stderr.write(
      `training the default model, writing ${ROWS.toLocaleString("en")} rows…\n`,
    );
    const result = train(loadIris(), DEFAULT_TRAIN_OPTIONS);
    const model = join(dir, "model");
    await writeArtifact(model, result.files);
    const unpacked = join(dir, "unpacked");
    mkdirSync(unpacked);
    for (const [name, bytes] of result.files) writeFileSync(join(unpacked, name), bytes);
    const csv = join(dir, "rows.csv");
    const jsonl = join(dir, "rows.jsonl");
    writeFileSync(csv, rowsText(ROWS, "csv"));
    writeFileSync(jsonl, rowsText(ROWS, "jsonl"));
    const perLine = join(dir, "per-line-cli.js");
    buildSync({
      entryPoints: [join(ROOT, "bench/predict/per-line-cli.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      external: ["@aws-sdk/*"],
      outfile: perLine,
      logLevel: "warning",
    });

    const node = process.execPath;
    const predict = (...flags: string[]) => [node, cli, "predict", "--model", model, ...flags];
    const commands: { name: string; args: string[] }[] = [
      { name: "iris-mlops predict, CSV in", args: predict("--input", csv) },
      { name: "… --jobs 2", args: predict("--input", csv, "--jobs", "2") },
      { name: "… --output-format csv", args: predict("--input", csv, "--output-format", "csv") },
      { name: "… JSON lines in", args: predict("--input", jsonl) },
      { name: "per-line path (before)", args: [node, perLine, model, csv] },
      {
        name: "ml-random-forest script, labels",
        args: [node, join(ROOT, "bench/predict/library-labels.mjs"), unpacked, csv],
      },
      {
        name: "bare reader (parse only)",
        args: [node, join(ROOT, "bench/predict/bare-reader.mjs"), csv],
      },
    ];
    const outputs = commands.map((_, c) => join(dir, `out-${c}`));
    const runs = commands.map(() => [] as Run[]);
    for (let round = 0; round <= ROUNDS; round++) {
      process.stderr.write(round === 0 ? "warm-up round…\n" : `round ${round} of ${ROUNDS}…\n`);
      for (const [c, { args }] of commands.entries()) {
        const run = await timed(args, outputs[c] as string);
        if (round > 0) (runs[c] as Run[]).push(run);
      }
      if (round === 0) checkOutputs(outputs);
    }
    report(
      commands.map((c) => c.name),
      runs,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The outputs must agree before their times mean anything. */
function checkOutputs(outputs: string[]): void {
  const read = (c: number) => readFileSync(outputs[c] as string);
  const answers = read(0);
  if (!answers.equals(read(1))) throw new Error("--jobs 2 wrote other bytes than --jobs 1");
  if (!answers.equals(read(3))) throw new Error("JSON lines in gave other answers than CSV in");
  if (!answers.equals(read(4)))
    throw new Error("the batch path's bytes differ from the per-line path's");
  const species = answers
    .toString()
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line).species);
  const labels = read(5).toString().trimEnd().split("\n");
  if (species.length !== ROWS || labels.join("\n") !== species.join("\n"))
    throw new Error("the CLI and ml-random-forest disagree on the species");
  const csvLines = read(2).toString().trimEnd().split("\n");
  if (csvLines.length !== ROWS + 1 || !csvLines[1]?.startsWith(`${species[0]},`))
    throw new Error("--output-format csv wrote an unexpected table");
}

function report(names: string[], runs: Run[][]): void {
  const fmt = (x: number, digits = 2) =>
    x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const wall = runs.map((r) => r.map((run) => run.wall));
  /** Median over rounds of baseline's wall / command's wall. */
  const paired = (c: number, baseline: number) =>
    median((wall[c] as number[]).map((w, i) => ((wall[baseline] as number[])[i] as number) / w));
  const LIBRARY = 5;
  const PER_LINE = 4;
  const rows = [
    ["command", "wall s", "M rows/s", "CPU s", "peak MiB", "vs ml-random-forest", "vs per-line"],
    ...names.map((name, c) => {
      const of = runs[c] as Run[];
      const cpu = of.every((r) => r.cpu !== undefined)
        ? fmt(median(of.map((r) => r.cpu as number)))
        : "—";
      const peak = of.every((r) => r.peakMiB !== undefined)
        ? fmt(median(of.map((r) => r.peakMiB as number)), 0)
        : "—";
      const seconds = median(wall[c] as number[]);
      return [
        name,
        fmt(seconds),
        fmt(ROWS / seconds / 1e6),
        cpu,
        peak,
        `${fmt(paired(c, LIBRARY), 1)}×`,
        `${fmt(paired(c, PER_LINE), 1)}×`,
      ];
    }),
  ];
  const rate = ROWS / median(wall[0] as number[]);
  const vsLibrary = paired(0, LIBRARY);
  const environment = machine();
  const [head, ...body] = table(rows).split("\n");
  const lines = [
    `${ROWS.toLocaleString("en")} rows, file to file, whole processes; ${ROUNDS} rounds, medians (${environment.node}, ${environment.cpus}× ${environment.cpu}, load ${fmt(environment.load_average_1m ?? 0)})`,
    "",
    head,
    "-".repeat((head as string).length),
    ...body,
    "",
    "targets:",
    `  >= 1.5 M rows/s file to file ............... ${rate >= TARGET_ROWS_PER_S ? "PASS" : "FAIL"}  (${fmt(rate / 1e6)} M rows/s)`,
    `  >= 10× the ml-random-forest script ......... ${vsLibrary >= TARGET_VS_LIBRARY ? "PASS" : "FAIL"}  (${fmt(vsLibrary, 1)}×)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const out = process.env.PREDICT_OUT ?? join(ROOT, "bench/results/predict.json");
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        environment,
        method: `${ROWS} rows in the data's box to one decimal (CSV with a header; JSON lines of objects and arrays), the default model (50 trees); ${ROUNDS} rounds after a warm-up round, each running every command in turn as a whole process, stdout to a file; wall from spawn to exit, CPU and peak RSS from GNU time; ratios are medians of per-round ratios`,
        commands: names.map((name, c) => ({
          name,
          wall_s: wall[c],
          runs: runs[c],
          median_wall_s: median(wall[c] as number[]),
          rows_per_s: ROWS / median(wall[c] as number[]),
          vs_library: paired(c, LIBRARY),
          vs_per_line: paired(c, PER_LINE),
        })),
        targets: {
          at_least_1_5M_rows_per_s: rate >= TARGET_ROWS_PER_S,
          at_least_10x_library: vsLibrary >= TARGET_VS_LIBRARY,
        },
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
