/**
 * Every job GitHub would run, from each event-triggered workflow down through the workflows its
 * jobs call, with what each job gets from above: its token's grant and its caller's ceiling, the
 * entry workflow whose events start it, and the inputs its caller passes. A workflow that calls
 * itself, directly or through others, and calls nested deeper than GitHub allows, end that
 * branch as a problem instead of recursing.
 */
import { expressionsOf } from "./expressions.js";
import { type Grant, grantOf, RESTRICTED_DEFAULT } from "./grants.js";
import {
  callDeclaration,
  calleeOf,
  entryWorkflows,
  jobsOf,
  type Workflow,
  type Yaml,
} from "./workflows.js";

/** "You can connect up to ten levels of workflows" (GitHub, "Reusing workflow configurations"). */
export const MAX_LEVELS = 10;

export interface JobRun {
  readonly workflow: Workflow;
  readonly id: string;
  readonly job: Yaml;
  /** `deploy.yml job 'dev' → pulumi-up.yml job 'up'` */
  readonly where: string;
  /** What the job's token asks for: its own permissions, else its workflow's, else inherited. */
  readonly grant: Grant;
  /** The calling job's grant, which a called job may not exceed; undefined at the top. */
  readonly ceiling?: Grant;
  /** The event-triggered workflow the run starts from. */
  readonly entry: Workflow;
  /** The caller's `with` over the declared defaults; undefined at the top. */
  readonly inputs?: Record<string, unknown>;
}

export interface Call {
  /** `deploy.yml job 'dev' → pulumi-up.yml` */
  readonly where: string;
  readonly callee: Workflow;
  readonly ceiling: Grant;
}

export interface Runs {
  readonly jobs: JobRun[];
  readonly calls: Call[];
  readonly problems: string[];
}

function inputsFor(callee: Workflow, job: Yaml): Record<string, unknown> {
  const declared = callDeclaration(callee.doc)?.inputs ?? {};
  const defaults = Object.entries<Yaml>(declared)
    .filter(([, d]) => d?.default !== undefined && expressionsOf(d.default).length === 0)
    .map(([name, d]) => [name, d.default]);
  return { ...Object.fromEntries(defaults), ...(job.with ?? {}) };
}

export function jobRuns(all: Map<string, Workflow>): Runs {
  const out: Runs = { jobs: [], calls: [], problems: [] };
  const visit = (
    workflow: Workflow,
    above: { grant: Grant; inputs: Record<string, unknown> } | undefined,
    via: string,
    entry: Workflow,
    stack: string[],
  ) => {
    for (const [id, job] of jobsOf(workflow)) {
      const own = job?.permissions ?? workflow.doc.permissions;
      const grant = own === undefined ? (above?.grant ?? RESTRICTED_DEFAULT) : grantOf(own);
      const where = `${via}${workflow.file} job '${id}'`;
      out.jobs.push({
        workflow,
        id,
        job,
        where,
        grant,
        ceiling: above?.grant,
        entry,
        inputs: above?.inputs,
      });
      const callee = calleeOf(job);
      const next = callee && "file" in callee ? all.get(callee.file) : undefined;
      if (!next) continue;
      const call = `${where} → ${next.file}`;
      const seen = stack.indexOf(next.file);
      if (seen !== -1) {
        const cycle = [...stack.slice(seen), next.file].join(" → ");
        out.problems.push(
          `${call}: a workflow that calls itself (${cycle}); GitHub refuses the run`,
        );
      } else if (stack.length >= MAX_LEVELS) {
        out.problems.push(`${call}: nests more than GitHub's ${MAX_LEVELS} levels of workflows`);
      } else {
        out.calls.push({ where: call, callee: next, ceiling: grant });
        // the caller job's grant is both what the called jobs inherit and their ceiling
        visit(next, { grant, inputs: inputsFor(next, job) }, `${where} → `, entry, [
          ...stack,
          next.file,
        ]);
      }
    }
  };
  for (const w of entryWorkflows(all)) visit(w, undefined, "", w, [w.file]);
  return out;
}
