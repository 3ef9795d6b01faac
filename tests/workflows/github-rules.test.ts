import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  callViolations,
  grantOf,
  hiddenArtifactPaths,
  loadWorkflows,
  permissionViolations,
  RESTRICTED_DEFAULT,
  type Workflow,
  workflowOf,
} from "./github-rules.js";

const DIR = join(__dirname, "..", "..", ".github", "workflows");
const repo = () => loadWorkflows(DIR);
const set = (...ws: Workflow[]) => new Map(ws.map((w) => [w.file, w]));

const CALLEE = `
on:
  workflow_call:
    inputs:
      stack: { type: string, required: true }
      dry: { type: boolean, required: false, default: false }
    secrets:
      token: { required: true }
jobs:
  up:
    runs-on: ubuntu-24.04
    permissions: { contents: read, id-token: write }
    steps:
      - run: echo "\${{ inputs.stack }} \${{ secrets.token }}"
`;

describe("the workflows as GitHub runs them", () => {
  it("GitHub's own parser reads every workflow without an error", async () => {
    const { parseWorkflow, NoOperationTraceWriter } = await import("@actions/workflow-parser");
    const files = [...repo().keys()];
    assert.ok(files.length >= 4, `workflows found: ${files}`);
    for (const file of files) {
      const content = readFileSync(join(DIR, file), "utf8");
      const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
      assert.deepEqual(
        parsed.context.errors.getErrors().map((e) => e.message),
        [],
        file,
      );
    }
  });

  describe("a called workflow's jobs stay within the caller's grant", () => {
    it("holds for every call in .github/workflows", () => {
      assert.deepEqual(permissionViolations(repo()), []);
    });

    it("reports a nested job asking for id-token the caller does not give, as GitHub does", () => {
      const caller = workflowOf(
        "deploy.yml",
        "on: push\npermissions: { contents: read }\njobs:\n  dev:\n    uses: ./.github/workflows/up.yml\n    with: { stack: dev }\n    secrets: inherit\n",
      );
      assert.deepEqual(permissionViolations(set(caller, workflowOf("up.yml", CALLEE))), [
        "deploy.yml job 'dev' → up.yml job 'up' is requesting 'id-token: write', but is only allowed 'id-token: none'",
      ]);
    });

    it("takes the restricted default when no level says anything, and a caller job's own grant over its workflow's", () => {
      const bare = (perm: string) =>
        workflowOf(
          "deploy.yml",
          `on: push\njobs:\n  dev:\n    uses: ./.github/workflows/up.yml\n${perm}    with: { stack: dev }\n    secrets: inherit\n`,
        );
      const callee = workflowOf("up.yml", CALLEE);
      assert.equal(permissionViolations(set(bare(""), callee)).length, 1);
      const granted = bare("    permissions: { contents: read, id-token: write }\n");
      assert.deepEqual(permissionViolations(set(granted, callee)), []);
      // a callee job without permissions inherits the caller's, so it can never exceed them
      const open = workflowOf("up.yml", CALLEE.replace(/ {4}permissions:.*\n/, ""));
      assert.deepEqual(permissionViolations(set(bare(""), open)), []);
    });

    it("reads `permissions` as GitHub does: naming one scope sets the others to none", () => {
      assert.equal(grantOf({ "id-token": "write" }).contents, "none");
      assert.equal(grantOf({})["pull-requests"], "none");
      assert.equal(grantOf("write-all").contents, "write");
      assert.equal(RESTRICTED_DEFAULT.contents, "read");
      assert.equal(RESTRICTED_DEFAULT["id-token"], "none");
    });
  });

  describe("callers pass what the called workflow declares", () => {
    it("holds for every call in .github/workflows", () => {
      assert.deepEqual(callViolations(repo()), []);
    });

    it("reports unknown, missing and mistyped inputs and secrets", () => {
      const caller = workflowOf(
        "deploy.yml",
        [
          "on: push",
          "jobs:",
          "  a:",
          "    uses: ./.github/workflows/up.yml",
          "    with: { stak: dev, dry: 'yes' }",
          "    secrets: { tokn: x }",
          "  b:",
          "    uses: ./.github/workflows/missing.yml",
        ].join("\n"),
      );
      assert.deepEqual(callViolations(set(caller, workflowOf("up.yml", CALLEE))).sort(), [
        "deploy.yml job 'a' → up.yml: input 'dry' is string, declared boolean",
        "deploy.yml job 'a' → up.yml: input 'stak' is not declared by the called workflow",
        "deploy.yml job 'a' → up.yml: reads secrets.token, which the caller neither passes nor inherits",
        "deploy.yml job 'a' → up.yml: required input 'stack' is not given",
        "deploy.yml job 'a' → up.yml: required secret 'token' is not given",
        "deploy.yml job 'a' → up.yml: secret 'tokn' is not declared by the called workflow",
        "deploy.yml job 'b' → missing.yml: no such workflow with a workflow_call trigger",
      ]);
    });

    it("accepts expressions for any input type, and `secrets: inherit` for undeclared secrets", () => {
      const caller = workflowOf(
        "deploy.yml",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
        "on: push\njobs:\n  a:\n    uses: ./.github/workflows/up.yml\n    with: { stack: dev, dry: \"${{ github.event_name == 'push' }}\" }\n    secrets: inherit\n",
      );
      assert.deepEqual(callViolations(set(caller, workflowOf("up.yml", CALLEE))), []);
    });
  });

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
      assert.deepEqual(
        hiddenArtifactPaths(set(step("          include-hidden-files: true\n"))),
        [],
      );
    });
  });
});
