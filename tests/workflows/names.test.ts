/**
 * Every secret, variable and role the workflows read exists somewhere a user can find it: in
 * docs/ci-cd.md's table "Names the workflows read", and for roles, among bootstrap/'s outputs.
 * A name nobody sets is an empty string at run time, and GitHub does not warn.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { contextNames, loadWorkflows, steps, type Workflow } from "./github-rules.js";

const ROOT = join(__dirname, "..", "..");
const workflows = loadWorkflows(join(ROOT, ".github", "workflows"));

interface Row {
  readonly name: string;
  readonly kind: string;
  readonly where: string;
  readonly value: string;
}

/** The rows of the table under `heading` in a markdown text. */
function namesTable(markdown: string, heading: string): Row[] {
  const start = markdown.indexOf(heading);
  if (start === -1) return [];
  const lines = markdown.slice(start).split("\n").slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith("|")));
  const rows = table.slice(
    0,
    table.findIndex((l) => !l.startsWith("|")),
  );
  return rows.slice(2).map((line) => {
    const [name = "", kind = "", where = "", value = ""] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    return { name: name.replace(/`/g, ""), kind, where, value };
  });
}

const docs = readFileSync(join(ROOT, "docs", "ci-cd.md"), "utf8");
const rows = namesTable(docs, "### Names the workflows read");
const row = (name: string) => rows.find((r) => r.name === name);
const bootstrapOutputs = new Set(
  [
    ...readFileSync(join(ROOT, "bootstrap", "index.ts"), "utf8").matchAll(/^export const (\w+)/gm),
  ].map((m) => m[1] as string),
);
const citedOutput = (r: Row | undefined) => r?.value.match(/bootstrap output `(\w+)`/)?.[1];

/** `secrets.X` and `vars.X` read anywhere, with the files that read them. */
function used(all: Map<string, Workflow>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of all.values()) {
    for (const ctx of ["secrets", "vars"]) {
      for (const name of contextNames(w.text, ctx)) {
        if (name === "GITHUB_TOKEN") continue;
        out.set(`${ctx}.${name}`, [...(out.get(`${ctx}.${name}`) ?? []), w.file]);
      }
    }
  }
  return out;
}

describe("names the workflows read (docs/ci-cd.md, bootstrap/)", () => {
  it("every secret and variable read is in the docs' table, as the right kind", () => {
    const missing = [...used(workflows)].filter(([key]) => {
      const [ctx, name] = key.split(".") as [string, string];
      return row(name)?.kind !== (ctx === "secrets" ? "secret" : "variable");
    });
    assert.deepEqual(missing, [], "add these to the table 'Names the workflows read'");
  });

  it("every name in the table is read by some workflow", () => {
    const names = new Set([...used(workflows).keys()].map((k) => k.split(".")[1]));
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

  it("an environment's variable is read only by jobs that run in an environment", () => {
    const scoped = rows.filter((r) => r.where.startsWith("environment")).map((r) => r.name);
    assert.ok(scoped.includes("AWS_DEPLOY_ROLE_ARN"));
    for (const w of workflows.values()) {
      for (const [id, job] of Object.entries<{ environment?: unknown }>(w.doc.jobs ?? {})) {
        const reads = contextNames(JSON.stringify(job), "vars");
        const wrong = scoped.filter((n) => reads.has(n) && job.environment === undefined);
        assert.deepEqual(wrong, [], `${w.file} job '${id}' has no environment`);
      }
    }
  });
});
