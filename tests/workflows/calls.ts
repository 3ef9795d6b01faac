/**
 * A call's `with:` and `secrets:` against what the called workflow declares under
 * `workflow_call`, and what it reads (`inputs.x`, `secrets.X`) against what it gets. GitHub
 * rejects a call with an undeclared or missing required input or secret; a read of something
 * never given is an empty string at run time.
 */
import { contextNames } from "./expressions.js";
import { callDeclaration, calleeOf, jobsOf, type Workflow, type Yaml } from "./workflows.js";

const EXPRESSION = /\$\{\{/;
const TYPE_OF: Record<string, string> = { string: "string", number: "number", boolean: "boolean" };

/** Names GitHub matches case-insensitively. */
const lower = (names: Iterable<string>) => new Set([...names].map((n) => n.toLowerCase()));

/** Everything of a workflow GitHub evaluates when it runs it: all but its triggers. */
const body = (doc: Yaml) => ({ ...doc, on: undefined });

function inputViolations(where: string, declared: Record<string, Yaml>, job: Yaml, callee: Yaml) {
  const out: string[] = [];
  const given: Record<string, unknown> = job.with ?? {};
  const known = new Map(Object.entries(declared).map(([n, d]) => [n.toLowerCase(), d]));
  for (const [name, value] of Object.entries(given)) {
    const decl = known.get(name.toLowerCase());
    if (!decl) out.push(`${where}: input '${name}' is not declared by the called workflow`);
    else if (!(typeof value === "string" && EXPRESSION.test(value))) {
      if (typeof value !== TYPE_OF[decl.type]) {
        out.push(`${where}: input '${name}' is ${typeof value}, declared ${decl.type}`);
      }
    }
  }
  const givenNames = lower(Object.keys(given));
  for (const [name, decl] of Object.entries(declared)) {
    if (decl?.required && decl.default === undefined && !givenNames.has(name.toLowerCase())) {
      out.push(`${where}: required input '${name}' is not given`);
    }
  }
  for (const name of contextNames(body(callee), "inputs")) {
    if (!known.has(name.toLowerCase())) {
      out.push(`${where}: reads inputs.${name}, which it does not declare`);
    }
  }
  return out;
}

function secretViolations(where: string, declared: Record<string, Yaml>, job: Yaml, callee: Yaml) {
  if (job.secrets === "inherit") return [];
  const out: string[] = [];
  const passed: Record<string, unknown> = job.secrets ?? {};
  const declaredNames = lower(Object.keys(declared));
  const passedNames = lower(Object.keys(passed));
  for (const name of Object.keys(passed)) {
    if (!declaredNames.has(name.toLowerCase())) {
      out.push(`${where}: secret '${name}' is not declared by the called workflow`);
    }
  }
  for (const [name, decl] of Object.entries(declared)) {
    if (decl?.required && !passedNames.has(name.toLowerCase())) {
      out.push(`${where}: required secret '${name}' is not given`);
    }
  }
  for (const name of contextNames(body(callee), "secrets")) {
    if (name.toUpperCase() !== "GITHUB_TOKEN" && !passedNames.has(name.toLowerCase())) {
      out.push(`${where}: reads secrets.${name}, which the caller neither passes nor inherits`);
    }
  }
  return out;
}

/** Calls whose `with:` and `secrets:` do not match what the called workflow declares. */
export function callViolations(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  for (const caller of all.values()) {
    for (const [id, job] of jobsOf(caller)) {
      const callee = calleeOf(job);
      if (callee === undefined) continue;
      if ("problem" in callee) {
        out.push(`${caller.file} job '${id}' → ${callee.problem}`);
        continue;
      }
      const where = `${caller.file} job '${id}' → ${callee.file}`;
      const target = all.get(callee.file);
      const call = target && callDeclaration(target.doc);
      if (!target || !call) {
        out.push(`${where}: no such workflow with a workflow_call trigger`);
        continue;
      }
      out.push(...inputViolations(where, call.inputs ?? {}, job, target.doc));
      out.push(...secretViolations(where, call.secrets ?? {}, job, target.doc));
    }
  }
  return out;
}
