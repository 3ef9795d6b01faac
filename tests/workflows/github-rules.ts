/**
 * What GitHub enforces when it runs a workflow and actionlint does not check: the GITHUB_TOKEN
 * grant a called workflow gets from its caller, the inputs and secrets of a `workflow_call`, and
 * the hidden paths actions/upload-artifact skips. Pure functions over parsed workflows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: workflows are untyped YAML; each rule reads the keys it needs
type Yaml = any;

export interface Workflow {
  readonly file: string;
  readonly text: string;
  readonly doc: Yaml;
}

export function loadWorkflows(dir: string): Map<string, Workflow> {
  const out = new Map<string, Workflow>();
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    out.set(file, { file, text, doc: parse(text) });
  }
  return out;
}

/** A workflow from YAML text, for tests that break a copy on purpose. */
export const workflowOf = (file: string, text: string): Workflow => ({
  file,
  text,
  doc: parse(text),
});

export type Level = "none" | "read" | "write";
export type Grant = Readonly<Record<string, Level>>;

/** The scopes a `permissions` block can name (docs: "Controlling permissions for GITHUB_TOKEN"). */
export const SCOPES = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
] as const;

/**
 * The grant of a workflow with no `permissions` anywhere: the repository's default, which an
 * admin sets to "permissive" (read/write) or "restricted". We assume the strictest, restricted:
 * contents and packages read, everything else none (id-token is none in both).
 */
export const RESTRICTED_DEFAULT: Grant = grantOf({ contents: "read", packages: "read" });

const RANK: Record<Level, number> = { none: 0, read: 1, write: 2 };

/** A `permissions` value as GitHub reads it: naming any scope sets every unnamed one to none. */
export function grantOf(permissions: Yaml): Grant {
  const all = (level: Level) => Object.fromEntries(SCOPES.map((s) => [s, level]));
  if (permissions === "read-all") return all("read");
  if (permissions === "write-all") return all("write");
  if (permissions === null || typeof permissions !== "object") {
    throw new Error(`permissions must be read-all, write-all or a map, not ${permissions}`);
  }
  return { ...all("none"), ...permissions };
}

/** A job's token: its own `permissions`, else its workflow's, else what it inherits. */
export function jobGrant(workflow: Workflow, job: Yaml, inherited: Grant): Grant {
  const own = job.permissions ?? workflow.doc.permissions;
  return own === undefined ? inherited : grantOf(own);
}

/** `./.github/workflows/x.yml` → `x.yml`; undefined for other repositories' workflows. */
export function localCallee(job: Yaml): string | undefined {
  const uses: unknown = job.uses;
  return typeof uses === "string" && uses.startsWith("./.github/workflows/")
    ? basename(uses)
    : undefined;
}

const triggers = (doc: Yaml): string[] =>
  typeof doc.on === "string" ? [doc.on] : Array.isArray(doc.on) ? doc.on : Object.keys(doc.on);

/** Workflows GitHub starts on an event (not only through `workflow_call`). */
export const entryWorkflows = (all: Map<string, Workflow>) =>
  [...all.values()].filter((w) => triggers(w.doc).some((t) => t !== "workflow_call"));

/**
 * Every job of a called workflow that asks for more than its caller grants, in GitHub's words
 * ("The nested job 'up' is requesting 'id-token: write', but is only allowed 'id-token: none'"),
 * from each event-triggered workflow down through nested calls.
 */
export function permissionViolations(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  const visit = (workflow: Workflow, inherited: Grant, limit: Grant | undefined, via: string) => {
    for (const [id, job] of Object.entries<Yaml>(workflow.doc.jobs ?? {})) {
      const grant = jobGrant(workflow, job, inherited);
      const where = `${via}${workflow.file} job '${id}'`;
      if (limit) {
        for (const scope of SCOPES) {
          const asked = grant[scope] ?? "none";
          const allowed = limit[scope] ?? "none";
          if (RANK[asked] > RANK[allowed]) {
            out.push(
              `${where} is requesting '${scope}: ${asked}', but is only allowed '${scope}: ${allowed}'`,
            );
          }
        }
      }
      const callee = localCallee(job);
      const next = callee === undefined ? undefined : all.get(callee);
      // the caller job's grant is both what the called jobs inherit and their ceiling
      if (next) visit(next, grant, grant, `${where} → `);
    }
  };
  for (const w of entryWorkflows(all)) visit(w, RESTRICTED_DEFAULT, undefined, "");
  return out;
}

const EXPRESSION = /\$\{\{/;
const TYPE_OF: Record<string, string> = { string: "string", number: "number", boolean: "boolean" };

/** Names an expression text reads from a context, e.g. `secrets.X` → X. */
export function contextNames(text: string, context: string): Set<string> {
  const re = new RegExp(`\\b${context}\\.([A-Za-z_][A-Za-z0-9_-]*)`, "g");
  return new Set([...text.matchAll(re)].map((m) => m[1] as string));
}

/** Calls whose `with:` and `secrets:` do not match what the called workflow declares. */
export function callViolations(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  for (const caller of all.values()) {
    for (const [id, job] of Object.entries<Yaml>(caller.doc.jobs ?? {})) {
      const file = localCallee(job);
      if (file === undefined) continue;
      const where = `${caller.file} job '${id}' → ${file}`;
      const callee = all.get(file);
      const call = callee?.doc.on?.workflow_call;
      if (!callee || call === undefined || !triggers(callee.doc).includes("workflow_call")) {
        out.push(`${where}: no such workflow with a workflow_call trigger`);
        continue;
      }
      const inputs: Record<string, Yaml> = call?.inputs ?? {};
      const given: Record<string, unknown> = job.with ?? {};
      for (const [name, value] of Object.entries(given)) {
        const decl = inputs[name];
        if (!decl) out.push(`${where}: input '${name}' is not declared by the called workflow`);
        else if (!(typeof value === "string" && EXPRESSION.test(value))) {
          if (typeof value !== TYPE_OF[decl.type]) {
            out.push(`${where}: input '${name}' is ${typeof value}, declared ${decl.type}`);
          }
        }
      }
      for (const [name, decl] of Object.entries(inputs)) {
        if (decl?.required && decl.default === undefined && !(name in given)) {
          out.push(`${where}: required input '${name}' is not given`);
        }
      }
      for (const name of contextNames(callee.text, "inputs")) {
        if (!(name in inputs))
          out.push(`${where}: reads inputs.${name}, which it does not declare`);
      }
      const secrets: Record<string, Yaml> = call?.secrets ?? {};
      if (job.secrets === "inherit") continue;
      const passed: Record<string, unknown> = job.secrets ?? {};
      for (const name of Object.keys(passed)) {
        if (!(name in secrets))
          out.push(`${where}: secret '${name}' is not declared by the called workflow`);
      }
      for (const [name, decl] of Object.entries(secrets)) {
        if (decl?.required && !(name in passed))
          out.push(`${where}: required secret '${name}' is not given`);
      }
      for (const name of contextNames(callee.text, "secrets")) {
        if (name !== "GITHUB_TOKEN" && !(name in passed)) {
          out.push(`${where}: reads secrets.${name}, which the caller neither passes nor inherits`);
        }
      }
    }
  }
  return out;
}

/** Every step of every job: `[workflow, job id, job, step]`. */
export function* steps(all: Map<string, Workflow>): Generator<[Workflow, string, Yaml, Yaml]> {
  for (const w of all.values()) {
    for (const [id, job] of Object.entries<Yaml>(w.doc.jobs ?? {})) {
      for (const step of job.steps ?? []) yield [w, id, job, step];
    }
  }
}

/** A path with a segment that starts with a dot (`.`/`..` themselves are not hidden). */
export const isHidden = (path: string) =>
  path
    .replace(/^!/, "")
    .split("/")
    .some((seg) => seg.startsWith(".") && seg !== "." && seg !== "..");

/**
 * actions/upload-artifact from v4.4.0 leaves out hidden files and folders unless
 * `include-hidden-files: true`, so a hidden path uploads nothing (or warns, at best).
 */
export function hiddenArtifactPaths(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  for (const [w, id, , step] of steps(all)) {
    if (!String(step.uses ?? "").startsWith("actions/upload-artifact@")) continue;
    if (step.with?.["include-hidden-files"] === true) continue;
    for (const path of String(step.with?.path ?? "").split("\n")) {
      if (path.trim() && isHidden(path.trim())) {
        out.push(`${w.file} job '${id}': upload-artifact path '${path.trim()}' is hidden`);
      }
    }
  }
  return out;
}
