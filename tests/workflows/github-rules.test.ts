import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  callViolations,
  grantOf,
  permissionViolations,
  RESTRICTED_DEFAULT,
  repoWorkflows,
  WORKFLOWS_DIR,
  workflowOf,
  workflowSet,
} from "./github-rules.js";

const repo = repoWorkflows;
const set = workflowSet;

/** A push workflow whose job 'a' calls up.yml with nothing. */
const PLAIN_CALLER = workflowOf(
  "deploy.yml",
  "on: push\njobs:\n  a:\n    uses: ./.github/workflows/up.yml\n",
);

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
      const content = readFileSync(join(WORKFLOWS_DIR, file), "utf8");
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

    it("checks the called workflow's own top-level permissions against the caller's grant", () => {
      const caller = workflowOf(
        "deploy.yml",
        "on: push\npermissions: { contents: read }\njobs:\n  dev:\n    uses: ./.github/workflows/up.yml\n",
      );
      const callee = workflowOf(
        "up.yml",
        "on: workflow_call\npermissions: { contents: read, issues: write }\njobs:\n  up:\n    runs-on: ubuntu-24.04\n    permissions: { contents: read }\n    steps: [{ run: 'true' }]\n",
      );
      assert.deepEqual(permissionViolations(set(caller, callee)), [
        "deploy.yml job 'dev' → up.yml is requesting 'issues: write', but is only allowed 'issues: none'",
      ]);
    });

    it("reports a workflow that calls itself, or a cycle, instead of recursing until the stack overflows", () => {
      const loop = workflowOf(
        "a.yml",
        "on: [push, workflow_call]\njobs:\n  again:\n    uses: ./.github/workflows/a.yml\n",
      );
      assert.deepEqual(permissionViolations(set(loop)), [
        "a.yml job 'again' → a.yml: a workflow that calls itself (a.yml → a.yml); GitHub refuses the run",
      ]);
      const b = workflowOf(
        "b.yml",
        "on: workflow_call\njobs:\n  c:\n    uses: ./.github/workflows/c.yml\n",
      );
      const c = workflowOf(
        "c.yml",
        "on: workflow_call\njobs:\n  b:\n    uses: ./.github/workflows/b.yml\n",
      );
      const start = workflowOf(
        "s.yml",
        "on: push\njobs:\n  b:\n    uses: ./.github/workflows/b.yml\n",
      );
      assert.deepEqual(permissionViolations(set(start, b, c)), [
        "s.yml job 'b' → b.yml job 'c' → c.yml job 'b' → b.yml: a workflow that calls itself (b.yml → c.yml → b.yml); GitHub refuses the run",
      ]);
    });

    it("follows GitHub's ten levels of nested workflows, and reports an eleventh", () => {
      const chain = (levels: number) =>
        workflowSet(
          ...Array.from({ length: levels }, (_, i) =>
            workflowOf(
              `w${i}.yml`,
              `on: ${i === 0 ? "push" : "workflow_call"}\njobs:\n  j:\n${
                i < levels - 1
                  ? `    uses: ./.github/workflows/w${i + 1}.yml\n`
                  : "    runs-on: x\n    steps: [{ run: 'true' }]\n"
              }`,
            ),
          ),
        );
      assert.deepEqual(permissionViolations(chain(10)), []);
      const eleven = permissionViolations(chain(11));
      assert.equal(eleven.length, 1, eleven.join("\n"));
      assert.match(
        eleven[0] as string,
        /w9\.yml job 'j' → w10\.yml: nests more than GitHub's 10 levels/,
      );
    });

    it("follows a call only to the file it names: a subfolder of .github/workflows is not the same basename at the top", () => {
      const caller = workflowOf(
        "deploy.yml",
        "on: push\npermissions: { contents: read }\njobs:\n  dev:\n    uses: ./.github/workflows/sub/up.yml\n    with: { stack: dev }\n    secrets: inherit\n",
      );
      const top = workflowOf("up.yml", CALLEE);
      assert.deepEqual(permissionViolations(set(caller, top)), []);
      assert.deepEqual(callViolations(set(caller, top)), [
        "deploy.yml job 'dev' → ./.github/workflows/sub/up.yml: GitHub runs called workflows only from the top of .github/workflows, not from a subfolder",
      ]);
    });
  });

  describe("callers pass what the called workflow declares", () => {
    it("takes `on: workflow_call` as a string, a list or a map", () => {
      const caller = PLAIN_CALLER;
      for (const on of [
        "workflow_call",
        "[workflow_call]",
        "[push, workflow_call]",
        "{ workflow_call: }",
      ]) {
        const callee = workflowOf(
          "up.yml",
          `on: ${on}\njobs:\n  up:\n    runs-on: ubuntu-24.04\n    steps: [{ run: 'true' }]\n`,
        );
        assert.deepEqual(callViolations(set(caller, callee)), [], on);
      }
    });

    it("reads expressions from the parsed YAML: comments and other contexts' `inputs` are not reads", () => {
      const caller = PLAIN_CALLER;
      const callee = workflowOf(
        "up.yml",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        'on:\n  workflow_call:\n# inputs.stack and secrets.token were read here once\njobs:\n  up:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ github.event.inputs.stack }}" # secrets.old\n',
      );
      assert.deepEqual(callViolations(set(caller, callee)), []);
    });

    it("recognises the index syntax `secrets['X']` and `inputs['x']`", () => {
      const caller = PLAIN_CALLER;
      const callee = workflowOf(
        "up.yml",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        "on:\n  workflow_call:\njobs:\n  up:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"${{ secrets['token'] }} ${{ inputs[ 'stack' ] }}\"\n",
      );
      assert.deepEqual(callViolations(set(caller, callee)).sort(), [
        "deploy.yml job 'a' → up.yml: reads inputs.stack, which it does not declare",
        "deploy.yml job 'a' → up.yml: reads secrets.token, which the caller neither passes nor inherits",
      ]);
    });

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
});
