/**
 * `iris-mlops train --report FILE`, from the sources and from the bundle build:cli makes (vega
 * is ESM with a top-level await: the bundle must still hold it).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { defaultModel, REPO_ROOT, tempDir } from "../helpers/trained.js";

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));

describe("reports: train --report", function () {
  this.timeout(240_000);

  it("writes the report of the model it trained, from the sources", async () => {
    const dir = tempDir();
    const report = join(dir, "report.html");
    const { code, stdout, stderr } = await runCli(["train", "--out", dir, "--report", report]);
    assert.equal(code, 0, stderr);
    assert.ok(stdout.includes(`wrote the report to ${report}`));
    const html = readFileSync(report, "utf8");
    const { result } = await defaultModel();
    assert.ok(html.includes(`Training report: model ${result.manifest.model_version}`));
    assert.doesNotMatch(html, /<script/i);
    assert.equal(html.match(/data-chart="/g)?.length, 6);
  });

  it("writes it from the built bundle too, vega loaded from node_modules only then", () => {
    const dir = tempDir("iris-bundle-");
    const script: string = packageJson.scripts["build:cli"];
    execFileSync("sh", ["-c", script.replace("--outdir=dist/cli-bundle", `--outdir=${dir}`)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
      env: { ...process.env, PATH: `${join(REPO_ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    });
    // vega is a dependency of the package, left out of the bundle (predict and serve never parse
    // it) and imported from node_modules when a report is asked for, as an installed package has it
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
    const bundle = readFileSync(join(dir, "main.js"), "utf8");
    assert.match(bundle, /import\(["']vega["']\)/);
    assert.ok(!bundle.includes("vega-canvas"), "vega is not bundled");
    const run = spawnSync(
      process.execPath,
      [join(dir, "main.js"), "train", "--out", join(dir, "model"), "--report", "r.html"],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    assert.equal(html.match(/data-chart="/g)?.length, 6);
  });

  it("a report path it cannot write: exit code not 0 and a message naming it", async () => {
    const dir = tempDir();
    const report = join(dir, "no-such-folder", "report.html");
    const { code, stderr } = await runCli(["train", "--out", dir, "--report", report]);
    assert.notEqual(code, 0);
    assert.ok(stderr.includes(report), stderr);
  });
});
