/**
 * The Lambda as it was before issue 13's cold-start work, measured in the same run as today's:
 * the code of a fixed commit (BENCH_BASELINE_REF, default the commit the work started from),
 * unpacked from git into a temporary folder that borrows this checkout's node_modules, bundled
 * by that commit's own components/bundle.ts, serving a model that commit's training wrote (its
 * artifact format, 1). Nothing of the checkout itself is touched.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** main before issue 13 (#13.6): aws4fetch over fetch, compiled.json format 1. */
export const BASELINE_REF = process.env.BENCH_BASELINE_REF || "3f331f5";

export interface Baseline {
  ref: string;
  /** The bundle, written as `<dir>/lambda/index.js` (with its map). */
  bundleFile: string;
  bundleBytes: number;
  /** model.tar.gz trained by the baseline's code. */
  model: Buffer;
}

/** Unpack, bundle and train the baseline under `dir`. A missing ref is an error that says so. */
export function prepareBaseline(dir: string, root = process.cwd()): Baseline {
  const src = join(dir, "src");
  mkdirSync(src, { recursive: true });
  let archive: Buffer;
  try {
    archive = execFileSync("git", ["-C", root, "archive", "--format=tar", BASELINE_REF], {
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `the baseline commit ${BASELINE_REF} is not in this repository (set BENCH_BASELINE_REF): ${(error as Error).message}`,
    );
  }
  execFileSync("tar", ["-x", "-C", src], { input: archive });
  symlinkSync(resolve(root, "node_modules"), join(src, "node_modules"));
  const out = join(dir, "lambda");
  mkdirSync(out, { recursive: true });
  const modelFile = join(dir, "model.tar.gz");
  // the baseline's own bundler and training, run by tsx from its folder
  const script = `
    const { writeFileSync } = require("node:fs");
    const { bundleHandler } = require("./components/bundle.ts");
    const { packTarGz } = require("./core/archive.ts");
    const { loadIris } = require("./training/data.ts");
    const { DEFAULT_TRAIN_OPTIONS } = require("./training/options.ts");
    const { train } = require("./training/train.ts");
    (async () => {
      const b = await bundleHandler(${JSON.stringify(join(src, "handlers", "lambda.ts"))}, { sourceMap: true });
      writeFileSync(${JSON.stringify(join(out, "index.js"))}, b.code);
      writeFileSync(${JSON.stringify(join(out, "index.js.map"))}, b.sourceMap);
      const result = train(loadIris(), { ...DEFAULT_TRAIN_OPTIONS });
      writeFileSync(${JSON.stringify(modelFile)}, await packTarGz(result.files));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  writeFileSync(join(src, "prepare-baseline.cjs"), script);
  execFileSync(process.execPath, ["--import", "tsx", "prepare-baseline.cjs"], {
    cwd: src,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const bundleFile = join(out, "index.js");
  return {
    ref: BASELINE_REF,
    bundleFile,
    bundleBytes: readFileSync(bundleFile).length,
    model: readFileSync(modelFile),
  };
}
