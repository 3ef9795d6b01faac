/**
 * Every secret, variable and role the workflows read exists somewhere a user can find it: in
 * docs/ci-cd.md's table "Names the workflows read", and for roles, among bootstrap/'s outputs.
 * A name nobody sets is an empty string at run time, and GitHub does not warn.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { citedOutput, namesTable, ROOT, type Row } from "./docs-table.js";
import {
  environmentReadViolations,
  namesRead,
  repoWorkflows,
  steps,
  workflowOf,
  workflowSet,
} from "./github-rules.js";

const workflows = repoWorkflows();

const rows = namesTable();
const row = (name: string) => rows.find((r) => r.name === name);
const bootstrapOutputs = new Set(
  [
    ...readFileSync(join(ROOT, "bootstrap", "index.ts"), "utf8").matchAll(/^export const (\w+)/gm),
  ].map((m) => m[1] as string),
);

/** Names set only in environments, from the table: `vars.X` → the environments it names. */
const environmentScoped = (table: Row[]) =>
  new Map(
    table
      .filter((r) => r.where.startsWith("environment"))
      .map((r) => [
        `${r.kind === "secret" ? "secrets" : "vars"}.${r.name.toUpperCase()}`,
        new Set([...r.where.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)),
      ]),
  );

const set = workflowSet;

describe("names the workflows read (docs/ci-cd.md, bootstrap/)", () => {
  it("every secret and variable read is in the docs' table, as the right kind", () => {
    const missing = [...namesRead(workflows)].filter(([key]) => {
      const [ctx, name] = key.split(".") as [string, string];
      return row(name)?.kind !== (ctx === "secrets" ? "secret" : "variable");
    });
    assert.deepEqual(missing, [], "add these to the table 'Names the workflows read'");
  });

  it("every name in the table is read by some workflow", () => {
    const names = new Set([...namesRead(workflows).keys()].map((k) => k.split(".")[1]));
    assert.ok(rows.length > 0, "docs/ci-cd.md has the table");
    assert.deepEqual(
      rows.map((r) => r.name).filter((n) => !names.has(n)),
      [],
    );
  });

  it("a value the table takes from bootstrap/ is one of its outputs", () => {
    const cited = rows.map(citedOutput).filter((o): o is string => o !== undefined);
    assert.ok(cited.length >= 3, `rows citing bootstrap outputs: ${cited}`);
    assert.deepEqual(
      cited.filter((o) => !bootstrapOutputs.has(o)),
      [],
    );
  });

  it("every role assumed is a variable holding a bootstrap role", () => {
    const roles = [...steps(workflows)].filter(([, , , step]) => step.with?.["role-to-assume"]);
    assert.ok(roles.length >= 3);
    for (const [w, id, , step] of roles) {
      const ref = String(step.with["role-to-assume"]).match(/^\$\{\{\s*vars\.(\w+)\s*\}\}$/)?.[1];
      assert.ok(ref, `${w.file} job '${id}': role-to-assume is not a vars.X`);
      assert.match(citedOutput(row(ref)) ?? "", /RoleArns?$/, `${w.file} job '${id}': ${ref}`);
    }
  });

  it("a name set only in environments is read only by jobs in those environments", () => {
    const scoped = environmentScoped(rows);
    assert.deepEqual(scoped.get("vars.AWS_DEPLOY_ROLE_ARN"), new Set(["dev", "prod", "smoke"]));
    assert.deepEqual(environmentReadViolations(workflows, scoped), []);
  });

  it("reads names from the parsed workflow: a comment is not a read, `vars['X']` is", () => {
    const w = workflowOf(
      "x.yml",
      [
        "on: push",
        "# vars.OLD_NAME was read here",
        "jobs:",
        "  j:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        "      - run: echo \"${{ vars['AWS_REGION'] }} ${{ secrets [ 'Pulumi_Access_Token' ] }} ${{ 'vars.NOT_READ' }}\" # vars.ALSO_NOT",
      ].join("\n"),
    );
    assert.deepEqual([...namesRead(set(w)).keys()].sort(), [
      "secrets.PULUMI_ACCESS_TOKEN",
      "vars.AWS_REGION",
    ]);
  });

  it("reports an environment's name read outside it: another environment, none, or before the job runs", () => {
    const scoped = new Map([["vars.ROLE", new Set(["dev", "prod"])]]);
    const caller = workflowOf(
      "deploy.yml",
      "on: push\njobs:\n  dev:\n    uses: ./.github/workflows/up.yml\n    with: { stack: dev }\n  smoke:\n    uses: ./.github/workflows/up.yml\n    with: { stack: smoke }\n",
    );
    const callee = workflowOf(
      "up.yml",
      [
        "on:",
        "  workflow_call:",
        "    inputs: { stack: { type: string, required: true } }",
        "jobs:",
        "  up:",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        "    environment: ${{ inputs.stack }}",
        "    if: vars.ROLE != ''",
        "    runs-on: ubuntu-24.04",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        "    steps: [{ run: 'echo ${{ vars.role }}' }]",
        "  report:",
        "    runs-on: ubuntu-24.04",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
        "    steps: [{ run: 'echo ${{ vars.ROLE }}' }]",
      ].join("\n"),
    );
    assert.deepEqual(environmentReadViolations(set(caller, callee), scoped).sort(), [
      "deploy.yml job 'dev' → up.yml job 'report': reads vars.ROLE, set only in dev, prod, but runs in no environment",
      "deploy.yml job 'dev' → up.yml job 'up': reads vars.ROLE where GitHub evaluates before the job runs, without its environment's values (vars.ROLE is set only in dev, prod)",
      "deploy.yml job 'smoke' → up.yml job 'report': reads vars.ROLE, set only in dev, prod, but runs in no environment",
      "deploy.yml job 'smoke' → up.yml job 'up': reads vars.ROLE where GitHub evaluates before the job runs, without its environment's values (vars.ROLE is set only in dev, prod)",
      "deploy.yml job 'smoke' → up.yml job 'up': runs in environment 'smoke', which does not set vars.ROLE (only dev, prod)",
    ]);
  });
});
