/**
 * Benchmark of the prediction core against ml-random-forest, on the same model, in the same run:
 * one row, a 150,000-row batch, artifact load time and model size. Medians of repeated samples
 * after a warm-up (the machine is shared and noisy). Prints a table with ratios and the targets'
 * pass/fail, and writes bench/results/core.json.
 *
 *   npm run bench            (about a minute)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { RandomForestClassifier } from "ml-random-forest";
import { packTarGz, unpackTarGz } from "../core/archive.js";
import {
  ARTIFACT_FORMAT_1,
  type Artifact,
  COMPILED_JSON,
  canonicalJson,
  MANIFEST,
  MODEL_JSON,
} from "../core/artifact.js";
import { unpackForest } from "../core/forest-format.js";
import { createPredictor, loadPredictor } from "../core/predictor.js";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { train } from "../training/train.js";
import { batchBench, batchTable } from "./lib/batch-bench.js";
import { environment as machine } from "./lib/environment.js";
import { random } from "./lib/rows.js";

const TARGETS = {
  oneRowMicros: 1,
  oneRowSpeedup: 10,
  batchRowsPerSecond: 1_500_000,
  batchSpeedup: 10,
  // issue 13 (#13.6); was 4096
  compiledGzipBytes: 2048,
  // issue 13: full predictions into typed arrays
  columnarRowsPerSecond: 3_000_000,
  columnarSpeedup: 4,
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** `count` rows drawn uniformly in the data's box (each feature between its min and max). */
function rowsInBox(data: number[][], count: number, seed: number): number[][] {
  const next = random(seed);
  const lo = [0, 1, 2, 3].map((f) => Math.min(...data.map((r) => r[f] as number)));
  const hi = [0, 1, 2, 3].map((f) => Math.max(...data.map((r) => r[f] as number)));
  return Array.from({ length: count }, () =>
    lo.map((l, f) => l + next() * ((hi[f] as number) - l)),
  );
}

/** Median time per call in µs: `samples` samples of `calls` calls each, after `warmup` samples. */
function perCallMicros(fn: (i: number) => number, calls: number, samples = 15, warmup = 3): number {
  let sink = 0;
  const times: number[] = [];
  for (let s = 0; s < warmup + samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += fn(i);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
    if (s >= warmup) times.push(elapsed / calls);
  }
  if (sink === -1) console.log(sink); // keep the results alive
  return median(times);
}

/** Median wall time in ms of `fn()`, after `warmup` runs. */
function runMillis(fn: () => unknown, runs: number, warmup = 2): number {
  const times: number[] = [];
  let keep: unknown;
  for (let r = 0; r < warmup + runs; r++) {
    const start = process.hrtime.bigint();
    keep = fn();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (r >= warmup) times.push(elapsed);
  }
  if (keep === Symbol.for("never")) console.log(keep);
  return median(times);
}

async function asyncRunMillis(
  fn: () => Promise<unknown>,
  runs: number,
  warmup = 20,
): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < warmup + runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (r >= warmup) times.push(elapsed);
  }
  return median(times);
}

async function main(): Promise<void> {
  const data = loadIris();
  const options = { ...DEFAULT_TRAIN_OPTIONS };
  const result = train(data, options);
  const tarball = await packTarGz(result.files);
  const modelJson = new TextDecoder().decode(result.files.get(MODEL_JSON));
  const compiledJson = result.files.get(COMPILED_JSON) as Uint8Array;

  const predictor = await loadPredictor(tarball);
  const library = RandomForestClassifier.load(JSON.parse(modelJson));

  // the same rows for both; one row per call, cycling through 1,024 different rows
  const single = rowsInBox(data.rows, 1_024, 1);
  const batch = rowsInBox(data.rows, 150_000, 2);
  for (const row of single) {
    if (predictor.classify(row) !== (library.predict([row])[0] as number))
      throw new Error("the compiled core and the library disagree: not benchmarking");
  }

  process.stderr.write("one row…\n");
  const oneCompiled = perCallMicros(
    (i) => predictor.classify(single[i & 1023] as number[]),
    200_000,
  );
  const oneCompiledFull = perCallMicros(
    (i) => (predictor.predict(single[i & 1023] as number[]).is_iris ? 1 : 0),
    100_000,
  );
  const oneLibrary = perCallMicros(
    (i) => library.predict([single[i & 1023] as number[]])[0] as number,
    5_000,
  );

  process.stderr.write("batch of 150,000 rows…\n");
  const batchCompiledMs = runMillis(() => {
    const out = new Uint8Array(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = predictor.classify(batch[i] as number[]);
    return out;
  }, 9);
  const batchCompiledFullMs = runMillis(() => predictor.predictBatch(batch), 5);
  const batchLibraryMs = runMillis(() => library.predict(batch), 5, 1);

  const batchPath = await batchBench(predictor, batch);

  process.stderr.write("load…\n");
  const decode = (name: string) => new TextDecoder().decode(result.files.get(name));
  const compiledText = decode(COMPILED_JSON);
  const manifestText = decode(MANIFEST);
  // what the brief compares: the core's full, verified load from the tarball's bytes against
  // the library's load from model.json's text; then both like for like
  const loadCompiledMs = await asyncRunMillis(() => loadPredictor(tarball), 50);
  const loadLibraryMs = await asyncRunMillis(
    async () => RandomForestClassifier.load(JSON.parse(modelJson)),
    50,
  );
  // format 2 stores the forest compactly: rebuilding its arrays is part of reading the text
  const loadCompiledTextMs = await asyncRunMillis(async () => {
    const compiled = JSON.parse(compiledText);
    return createPredictor({
      manifest: JSON.parse(manifestText),
      compiled: { ...compiled, forest: unpackForest(compiled.forest) },
    } as Artifact);
  }, 50);
  const loadLibraryTarballMs = await asyncRunMillis(async () => {
    const files = await unpackTarGz(tarball);
    return RandomForestClassifier.load(JSON.parse(new TextDecoder().decode(files.get(MODEL_JSON))));
  }, 50);

  const size = (bytes: Uint8Array | string) => ({
    raw: typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
  });
  // the baseline: the same model's compiled.json as format 1 wrote it (every forest array)
  const format1Json = canonicalJson({ ...predictor.compiled, format: ARTIFACT_FORMAT_1 });
  const sizes = {
    compiled: size(compiledJson),
    compiled_format_1: size(format1Json),
    library: size(modelJson),
    tarball: tarball.length,
  };

  const rate = (ms: number) => batch.length / (ms / 1e3);
  const measured = {
    one_row_us: {
      compiled: oneCompiled,
      compiled_full_prediction: oneCompiledFull,
      library: oneLibrary,
    },
    batch_150k_rows_per_s: {
      compiled: rate(batchCompiledMs),
      compiled_full_prediction: rate(batchCompiledFullMs),
      library: rate(batchLibraryMs),
    },
    load_ms: {
      compiled_from_tarball_bytes_verified: loadCompiledMs,
      library_from_model_json_text: loadLibraryMs,
      compiled_from_json_text_unverified: loadCompiledTextMs,
      library_from_tarball_bytes: loadLibraryTarballMs,
    },
    size_bytes: sizes,
    batch_path: batchPath,
  };
  const targets = {
    one_row_at_most_1us: oneCompiled <= TARGETS.oneRowMicros,
    one_row_10x_library: oneLibrary / oneCompiled >= TARGETS.oneRowSpeedup,
    batch_at_least_1_5M_rows_per_s: rate(batchCompiledMs) >= TARGETS.batchRowsPerSecond,
    batch_10x_library: batchLibraryMs / batchCompiledMs >= TARGETS.batchSpeedup,
    compiled_at_most_2KB_gzipped: sizes.compiled.gzip <= TARGETS.compiledGzipBytes,
    columnar_at_least_3M_rows_per_s:
      batchPath.full_predictions_150k.columnar_rows_per_s >= TARGETS.columnarRowsPerSecond,
    columnar_4x_per_row: batchPath.full_predictions_150k.speedup >= TARGETS.columnarSpeedup,
  };

  const fmt = (x: number, digits = 2) =>
    x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const speed = (ratio: number) =>
    Math.abs(Math.log(ratio)) < 0.05
      ? "about the same"
      : ratio > 1
        ? `${fmt(ratio, 1)}× faster`
        : `${fmt(1 / ratio, 1)}× slower`;
  const table: string[][] = [
    ["measurement", "compiled core", "ml-random-forest", "ratio"],
    [
      "one row, label (median µs/row)",
      fmt(oneCompiled, 3),
      fmt(oneLibrary, 3),
      speed(oneLibrary / oneCompiled),
    ],
    ["one row, full prediction* (µs/row)", fmt(oneCompiledFull, 3), "—", ""],
    [
      "batch 150k, label (M rows/s)",
      fmt(rate(batchCompiledMs) / 1e6),
      fmt(rate(batchLibraryMs) / 1e6),
      speed(batchLibraryMs / batchCompiledMs),
    ],
    ["batch 150k, full prediction* (M rows/s)", fmt(rate(batchCompiledFullMs) / 1e6), "—", ""],
    [
      "load: core from tarball bytes†, library from model.json text (ms)",
      fmt(loadCompiledMs, 3),
      fmt(loadLibraryMs, 3),
      speed(loadLibraryMs / loadCompiledMs),
    ],
    [
      "load, both from the tarball bytes (ms)",
      fmt(loadCompiledMs, 3),
      fmt(loadLibraryTarballMs, 3),
      speed(loadLibraryTarballMs / loadCompiledMs),
    ],
    [
      "load, both from JSON text, no checks (ms)",
      fmt(loadCompiledTextMs, 3),
      fmt(loadLibraryMs, 3),
      speed(loadLibraryMs / loadCompiledTextMs),
    ],
    [
      "model size raw (bytes)",
      String(sizes.compiled.raw),
      String(sizes.library.raw),
      `${fmt(sizes.library.raw / sizes.compiled.raw, 1)}× smaller`,
    ],
    [
      "model size gzipped (bytes)",
      String(sizes.compiled.gzip),
      String(sizes.library.gzip),
      `${fmt(sizes.library.gzip / sizes.compiled.gzip, 1)}× smaller`,
    ],
    [
      "compiled.json: format 2 vs format 1, raw / gzipped (bytes)",
      `${sizes.compiled.raw} / ${sizes.compiled.gzip}`,
      `${sizes.compiled_format_1.raw} / ${sizes.compiled_format_1.gzip}`,
      `${fmt(sizes.compiled.gzip / sizes.compiled_format_1.gzip, 2)}× of format 1 gzipped`,
    ],
  ];
  const widths = (table[0] as string[]).map((_, c) =>
    Math.max(...table.map((r) => (r[c] as string).length)),
  );
  const lines = table.map((r) =>
    r
      .map((cell, c) =>
        c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number),
      )
      .join("  "),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));

  const environment = machine();
  const out = [
    `model ${predictor.modelVersion}: ${options.trees} trees, ${result.manifest.classes.length} classes (${environment.node}, ${environment.cpus}× ${environment.cpu}, load ${fmt(environment.load_average_1m ?? 0)})`,
    "",
    ...lines,
    "",
    "* full prediction: species, vote shares and is_iris (the library has no equivalent).",
    "† loadPredictor(bytes): gunzip, untar, sha256 of every file (model.json's 140 KB included), schema, compile.",
    "  Timings are medians; the ratio column is the library's figure over the core's.",
    "",
    batchTable(batchPath),
    "",
    "targets:",
    ...(
      [
        [
          `one row <= ${TARGETS.oneRowMicros} µs`,
          targets.one_row_at_most_1us,
          `${fmt(oneCompiled, 3)} µs`,
        ],
        [
          `one row >= ${TARGETS.oneRowSpeedup}× faster than the library`,
          targets.one_row_10x_library,
          `${fmt(oneLibrary / oneCompiled, 1)}×`,
        ],
        [
          "batch >= 1.5 M rows/s",
          targets.batch_at_least_1_5M_rows_per_s,
          `${fmt(rate(batchCompiledMs) / 1e6)} M rows/s`,
        ],
        [
          `batch >= ${TARGETS.batchSpeedup}× the library`,
          targets.batch_10x_library,
          `${fmt(batchLibraryMs / batchCompiledMs, 1)}×`,
        ],
        [
          "compiled model <= 2 KB gzipped",
          targets.compiled_at_most_2KB_gzipped,
          `${sizes.compiled.gzip} bytes; format 1: ${sizes.compiled_format_1.gzip}`,
        ],
        [
          "full predictions >= 3 M rows/s, columnar",
          targets.columnar_at_least_3M_rows_per_s,
          `${fmt(batchPath.full_predictions_150k.columnar_rows_per_s / 1e6)} M rows/s`,
        ],
        [
          `full predictions >= ${TARGETS.columnarSpeedup}× the per-row path`,
          targets.columnar_4x_per_row,
          `${fmt(batchPath.full_predictions_150k.speedup, 1)}×`,
        ],
      ] as [string, boolean, string][]
    ).map(
      ([what, pass, value]) =>
        `  ${`${what} `.padEnd(44, ".")} ${pass ? "PASS" : "FAIL"}  (${value})`,
    ),
  ];
  process.stdout.write(`${out.join("\n")}\n`);

  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "core.json"),
    `${JSON.stringify(
      {
        model: { version: predictor.modelVersion, trees: options.trees, options },
        environment,
        method: {
          one_row:
            "median of 15 samples (after 3 warm-up samples) of N calls, one row per call, cycling through 1,024 random rows in the data's box; N = 200,000 compiled, 5,000 library",
          batch:
            "150,000 random rows in the data's box; median of 9 runs compiled, 5 runs library, after warm-up",
          load: "median of 50 loads after 20 warm-up loads; the core's loadPredictor(bytes) gunzips, untars, checks every sha256 and the schema, then compiles",
          batch_path:
            "in process, warm: the cases of each figure take turns in every sample (7-9 samples after 2 warm-up ones; 5 after 1 for bytes to answers), medians, ratios paired by sample; the 300,000-row files are CSV with a header and JSON lines, drawn in the data's box to one decimal, read in 256 KiB runs as the CLI reads them",
        },
        measured,
        targets,
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
