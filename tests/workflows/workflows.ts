/**
 * The workflows of .github/workflows as GitHub reads them: parsed YAML (never the text, where a
 * comment would count as a use), the events that start each one, the workflow a job calls and
 * the action a step runs. The rules of this folder read workflows only through these.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: workflows are untyped YAML; each rule reads the keys it needs
export type Yaml = any;

export interface Workflow {
  /** The file name in .github/workflows, which is also how a local call names it. */
  readonly file: string;
  readonly doc: Yaml;
}

export function loadWorkflows(dir: string): Map<string, Workflow> {
  const out = new Map<string, Workflow>();
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    out.set(file, workflowOf(file, readFileSync(join(dir, file), "utf8")));
  }
  return out;
}

/** A workflow from YAML text, for tests that break a copy on purpose. */
export const workflowOf = (file: string, text: string): Workflow => ({ file, doc: parse(text) });

/** Workflows as `loadWorkflows` returns them, for synthetic sets. */
export const workflowSet = (...ws: Workflow[]) => new Map(ws.map((w) => [w.file, w]));

export const WORKFLOWS_DIR = join(__dirname, "..", "..", ".github", "workflows");

/** This repository's workflows. */
export const repoWorkflows = () => loadWorkflows(WORKFLOWS_DIR);

const isMap = (x: unknown): x is Record<string, Yaml> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

/** The events of `on` in each of its forms: `on: push`, `on: [push, pull_request]`, a map. */
export function triggers(doc: Yaml): string[] {
  const on = doc?.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return isMap(on) ? Object.keys(on) : [];
}

/** The `workflow_call` declaration; `{}` for the string and list forms; undefined if not callable. */
export function callDeclaration(doc: Yaml): { inputs?: Yaml; secrets?: Yaml } | undefined {
  if (!triggers(doc).includes("workflow_call")) return undefined;
  return (isMap(doc.on) ? doc.on.workflow_call : undefined) ?? {};
}

/** Workflows GitHub starts on an event (not only through `workflow_call`). */
export const entryWorkflows = (all: Map<string, Workflow>) =>
  [...all.values()].filter((w) => triggers(w.doc).some((t) => t !== "workflow_call"));

/** A workflow's jobs, `[id, job]`. */
export const jobsOf = (w: Workflow): [string, Yaml][] =>
  isMap(w.doc?.jobs) ? Object.entries(w.doc.jobs) : [];

const LOCAL = "./.github/workflows/";

/**
 * The workflow of this repository a job calls, by its file name; a problem for a local path
 * GitHub does not run; undefined for a job that calls nothing here (steps, another repository).
 */
export function calleeOf(job: Yaml): { file: string } | { problem: string } | undefined {
  const uses: unknown = job?.uses;
  if (typeof uses !== "string" || !uses.startsWith("./")) return undefined;
  if (!uses.startsWith(LOCAL)) {
    return { problem: `${uses}: GitHub calls local workflows only from .github/workflows` };
  }
  const file = uses.slice(LOCAL.length);
  return file.includes("/")
    ? {
        problem: `${uses}: GitHub runs called workflows only from the top of .github/workflows, not from a subfolder`,
      }
    : { file };
}

/** A step's action without its ref, lower-cased: GitHub resolves `Actions/Checkout` too. */
export const actionOf = (step: Yaml): string | undefined =>
  typeof step?.uses === "string" ? step.uses.split("@")[0]?.toLowerCase() : undefined;

/** An action's boolean input as @actions/core's getBooleanInput reads it (`true`, `True`, `TRUE`). */
export const isTrue = (value: unknown) =>
  value === true || value === "true" || value === "True" || value === "TRUE";

/** A step's name for messages: its name, id, action or first line of script. */
export const stepName = (step: Yaml): string =>
  String(step?.name ?? step?.id ?? step?.uses ?? String(step?.run ?? "").split("\n")[0]);

/** Every step of every job: `[workflow, job id, job, step]`. */
export function* steps(all: Map<string, Workflow>): Generator<[Workflow, string, Yaml, Yaml]> {
  for (const w of all.values()) {
    for (const [id, job] of jobsOf(w)) {
      for (const step of Array.isArray(job?.steps) ? job.steps : []) yield [w, id, job, step];
    }
  }
}
