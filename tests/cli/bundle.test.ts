/**
 * The command as installed (package.json's bin) is one esbuild bundle of cli/main.ts and the
 * predict worker (`npm run build:cli`): it must answer as the sources do, workers included.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { linesFile } from "../helpers/line-inputs.js";
import { REPO_ROOT, tempDir, trainedModel } from "../helpers/trained.js";

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));

describe("cli: the bundled command", function () {
  this.timeout(120_000);

  it("is what package.json's bin names, built by build:cli", () => {
    const script: string = packageJson.scripts["build:cli"];
    assert.match(script, /--outdir=dist\/cli-bundle\b/);
    assert.equal(packageJson.bin["iris-mlops"], "dist/cli-bundle/main.js");
    assert.match(packageJson.scripts.build, /npm run build:cli/);
  });

  it("predicts as the sources do, with and without worker threads", async () => {
    const dir = tempDir("iris-bundle-");
    // the build:cli script, into a folder of this test's: one with no node_modules, so predict
    // must not load the externals (the AWS SDK, vega) that only other commands need
    const script: string = packageJson.scripts["build:cli"];
    execFileSync("sh", ["-c", script.replace("--outdir=dist/cli-bundle", `--outdir=${dir}`)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
      env: { ...process.env, PATH: `${join(REPO_ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    });
    const model = await trainedModel();
    const input = join(dir, "rows.csv");
    writeFileSync(input, linesFile(40_000, { format: "csv", badEvery: 97, header: true }));
    const expected = await runCli(["predict", "--model", model.dir, "--input", input]);
    for (const jobs of ["1", "2"]) {
      const bundled = spawnSync(
        process.execPath,
        [join(dir, "main.js"), "predict", "--model", model.dir, "--input", input, "--jobs", jobs],
        { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      );
      assert.equal(bundled.status, expected.code, bundled.stderr);
      assert.ok(bundled.stdout === expected.stdout, `--jobs ${jobs}: the outputs differ`);
    }
  });
});
