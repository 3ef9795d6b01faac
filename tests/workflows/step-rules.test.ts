/**
 * Steps as the runner runs them: what upload-artifact leaves out, and the steps that must run
 * after a failed or cancelled step (clean-ups of throwaway stacks, the record of a deploy).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  alwaysStepViolations,
  hiddenArtifactPaths,
  repoWorkflows,
  workflowOf,
  workflowSet,
} from "./github-rules.js";
import type { Yaml } from "./workflows.js";

const repo = repoWorkflows;
const set = workflowSet;

describe("artifacts", () => {
  it("no upload in .github/workflows names a hidden path without include-hidden-files", () => {
    assert.deepEqual(hiddenArtifactPaths(repo()), []);
  });

  it("reports hidden files and folders, and accepts them with include-hidden-files: true", () => {
    const step = (extra: string) =>
      workflowOf(
        "x.yml",
        `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/upload-artifact@v4\n        with:\n          name: m\n${extra}          path: |\n            artifacts/model.tar.gz\n            .pulumi-build/dev/model/\n            out/.env\n`,
      );
    assert.deepEqual(hiddenArtifactPaths(set(step(""))), [
      "x.yml job 'j': upload-artifact path '.pulumi-build/dev/model/' is hidden",
      "x.yml job 'j': upload-artifact path 'out/.env' is hidden",
    ]);
    assert.deepEqual(hiddenArtifactPaths(set(step("          include-hidden-files: true\n"))), []);
  });

  const upload = (uses: string, extra = "") =>
    workflowOf(
      "x.yml",
      `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: ${uses}\n        with:\n          name: m\n          path: .pulumi-build/dev/model/\n${extra}`,
    );

  it("reads action names as GitHub does, case-insensitively", () => {
    assert.deepEqual(hiddenArtifactPaths(set(upload("Actions/Upload-Artifact@v4"))), [
      "x.yml job 'j': upload-artifact path '.pulumi-build/dev/model/' is hidden",
    ]);
  });

  it("takes include-hidden-files as the action reads it: a string true counts", () => {
    for (const value of ['"true"', "'True'", "TRUE"]) {
      const extra = `          include-hidden-files: ${value}\n`;
      assert.deepEqual(
        hiddenArtifactPaths(set(upload("actions/upload-artifact@v4", extra))),
        [],
        value,
      );
    }
  });
});

describe("steps that must run whatever happened before them", () => {
  it("hold in .github/workflows", () => {
    assert.deepEqual(alwaysStepViolations(repo()), []);
  });

  const job = (...stepLines: string[]) =>
    workflowOf(
      "x.yml",
      ["on: push", "jobs:", "  j:", "    runs-on: ubuntu-24.04", "    steps:", ...stepLines].join(
        "\n",
      ),
    );

  it("reports a clean-up or a deploy record that a failed or cancelled step would skip", () => {
    const w = job(
      "      - run: pulumi stack init smoke-1",
      "      - run: pulumi up --yes",
      "      - run: pulumi destroy --yes && pulumi stack rm --yes",
      "      - uses: Actions/Upload-Artifact@v4",
      "        with: { name: m, path: .pulumi-build/dev/model/, include-hidden-files: true }",
    );
    assert.deepEqual(alwaysStepViolations(set(w)), [
      "x.yml job 'j' step 'pulumi stack init smoke-1': creates a stack that no later `if: always()` step cleans up",
      "x.yml job 'j' step 'pulumi destroy --yes && pulumi stack rm --yes': must run after a failed or cancelled step too; give it `if: always()`",
      "x.yml job 'j' step 'Actions/Upload-Artifact@v4': must run after a failed or cancelled step too; give it `if: always()`",
    ]);
    const fixed = job(
      "      - run: npm run smoke:aws",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      "      - if: ${{ !cancelled() }}",
      "        run: npm run smoke:aws -- cleanup",
      "      - if: always() && steps.smoke.outcome != 'skipped'",
      "        run: npm run smoke:aws -- cleanup",
    );
    assert.deepEqual(alwaysStepViolations(set(fixed)), [
      "x.yml job 'j' step 'npm run smoke:aws -- cleanup': must run after a failed or cancelled step too; give it `if: always()`",
    ]);
  });

  it("reads an always() that another term takes back as not always", () => {
    const w = job(
      "      - run: npm run smoke:aws",
      "      - if: always() && success()",
      "        run: npm run smoke:aws -- cleanup",
      "      - if: \"always() && steps.up.outcome == 'success'\"",
      "        run: pulumi destroy --yes",
      "      - if: always() || failure()",
      "        run: pulumi stack rm --yes",
    );
    assert.deepEqual(alwaysStepViolations(set(w)), [
      "x.yml job 'j' step 'npm run smoke:aws': creates a stack that no later `if: always()` step cleans up",
      "x.yml job 'j' step 'npm run smoke:aws -- cleanup': must run after a failed or cancelled step too; give it `if: always()`",
      "x.yml job 'j' step 'pulumi destroy --yes': must run after a failed or cancelled step too; give it `if: always()`",
      "x.yml job 'j' step 'pulumi stack rm --yes': must run after a failed or cancelled step too; give it `if: always()`",
    ]);
  });

  it("accepts a clean-up job that runs always after the job it cleans up", () => {
    const w = workflowOf(
      "x.yml",
      [
        "on: push",
        "jobs:",
        "  up:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: pulumi up --yes",
        "  clean:",
        "    needs: up",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
        "    if: ${{ always() }}",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: pulumi destroy --yes",
      ].join("\n"),
    );
    assert.deepEqual(alwaysStepViolations(set(w)), []);
  });

  it("smoke-aws.yml cleans up the stack it smoke-tested, with a fresh AWS session", () => {
    const smoke = repo().get("smoke-aws.yml")?.doc.jobs.smoke;
    const all = smoke.steps as {
      id?: string;
      if?: string;
      run?: string;
      uses?: string;
      env?: Record<string, string>;
    }[];
    const run = all.findIndex((s) => s.run === "npm run smoke:aws");
    const cleanup = all.findIndex((s) => s.run === "npm run smoke:aws -- cleanup");
    assert.ok(run !== -1 && cleanup > run, "a clean-up step after the smoke run");
    assert.equal(all[cleanup]?.env?.SMOKE_STACK, all[run]?.env?.SMOKE_STACK);
    const session = all.slice(run + 1, cleanup).find((s) => s.uses?.startsWith("aws-actions/"));
    assert.match(String(session?.if), /always\(\)/, "credentials renewed for the clean-up");
  });
});

describe("a deploy of a commit that is no longer the head", () => {
  // the step's own script, run by bash with a fake `gh` that answers the head GitHub would
  const upJob = () => repo().get("pulumi-up.yml")?.doc.jobs.up;
  const headCheckIn = (job: Yaml) =>
    (job.steps as { name?: string; run?: string }[]).find((s) =>
      /head of the branch/.test(String(s.name)),
    );
  const headCheck = () => headCheckIn(upJob());

  /** The step's script under bash -e (as the runner starts it) with `gh` replaced by `ghScript`. */
  function runCheck(ghScript: (dir: string) => string, sha: string) {
    const dir = mkdtempSync(join(tmpdir(), "head-check-"));
    try {
      writeFileSync(join(dir, "gh"), `#!/bin/sh\n${ghScript(dir)}`);
      chmodSync(join(dir, "gh"), 0o755);
      const run = spawnSync("bash", ["-e", "-c", String(headCheck()?.run)], {
        encoding: "utf8",
        env: {
          PATH: `${dir}:${process.env.PATH}`,
          GITHUB_REPOSITORY: "o/r",
          GITHUB_REF_NAME: "main",
          GITHUB_SHA: sha,
        },
      });
      const args = join(dir, "args");
      return { ...run, args: existsSync(args) ? readFileSync(args, "utf8").trim() : "" };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const answering = (head: string) => (dir: string) => `echo "$*" > "${dir}/args"\necho ${head}\n`;

  it("comes before anything else in the deploy job", () => {
    const job = upJob();
    assert.equal(job.steps.indexOf(headCheckIn(job)), 0);
  });

  it("fails, naming both commits, when the branch has moved on, and passes at its head", () => {
    const stale = runCheck(answering("b".repeat(40)), "a".repeat(40));
    assert.equal(stale.status, 1);
    assert.match(
      stale.stdout,
      new RegExp(
        `::error::${"a".repeat(40)} is no longer the head of main \\(${"b".repeat(40)} is\\)`,
      ),
    );
    assert.equal(stale.args, "api repos/o/r/commits/main --jq .sha");
    assert.equal(runCheck(answering("a".repeat(40)), "a".repeat(40)).status, 0);
  });

  it("fails when GitHub cannot be asked, rather than deploy unchecked", () => {
    const down = runCheck(() => "echo 'HTTP 502' >&2\nexit 1\n", "a".repeat(40));
    assert.notEqual(down.status, 0);
  });
});
