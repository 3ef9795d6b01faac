/**
 * The secrets and variables the workflows read, and where a read can see them. A name set only
 * in a GitHub environment exists only on the runner of a job in that environment
 * ("Environment-level variables are only available on the runner after the job starts
 * executing"): a job elsewhere, or a key GitHub evaluates before the job reaches a runner (`if`,
 * `runs-on`, `concurrency`, the environment's name, a call's `with`), reads an empty string, and
 * GitHub does not warn. Names are matched as GitHub does, case-insensitively (upper-cased here).
 */
import { contextNames, environmentNames } from "./expressions.js";
import { jobRuns } from "./runs.js";
import type { Workflow, Yaml } from "./workflows.js";

const CONTEXTS = ["secrets", "vars"] as const;

/** `secrets.X` and `vars.X` read anywhere (not `secrets.GITHUB_TOKEN`), with the files reading them. */
export function namesRead(all: Map<string, Workflow>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of all.values()) {
    for (const ctx of CONTEXTS) {
      for (const name of contextNames(w.doc, ctx)) {
        const key = `${ctx}.${name.toUpperCase()}`;
        if (key === "secrets.GITHUB_TOKEN") continue;
        const files = out.get(key) ?? [];
        if (!files.includes(w.file)) out.set(key, [...files, w.file]);
      }
    }
  }
  return out;
}

/** The parts of a job evaluated on its runner, inside its environment. */
const RUNNER_KEYS = ["steps", "env", "outputs", "defaults", "container", "services"];

function splitByRunner(workflow: Workflow, job: Yaml): { inside: Yaml; outside: Yaml } {
  const inside: Yaml = { workflowEnv: workflow.doc.env, url: job?.environment?.url };
  const outside: Yaml = {
    runName: workflow.doc["run-name"],
    concurrency: workflow.doc.concurrency,
    environment: job?.environment?.name ?? job?.environment,
  };
  for (const [key, value] of Object.entries<Yaml>(job ?? {})) {
    if (RUNNER_KEYS.includes(key)) inside[key] = value;
    else if (key !== "environment") outside[key] = value;
  }
  return { inside, outside };
}

const reads = (node: Yaml) =>
  CONTEXTS.flatMap((ctx) => [...contextNames(node, ctx)].map((n) => `${ctx}.${n.toUpperCase()}`));

/**
 * Reads of a name set only in environments (`scoped`: `vars.X` → those environments) from a job
 * that does not run in one of them, or from a key evaluated before the job runs.
 */
export function environmentReadViolations(
  all: Map<string, Workflow>,
  scoped: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const out: string[] = [];
  for (const run of jobRuns(all).jobs) {
    const { inside, outside } = splitByRunner(run.workflow, run.job);
    const setIn = (key: string) => [...(scoped.get(key) ?? [])].join(", ");
    for (const key of reads(outside).filter((k) => scoped.has(k))) {
      out.push(
        `${run.where}: reads ${key} where GitHub evaluates before the job runs, without its environment's values (${key} is set only in ${setIn(key)})`,
      );
    }
    const environments = environmentNames(run.job, { inputs: run.inputs });
    for (const key of reads(inside).filter((k) => scoped.has(k))) {
      if (environments === undefined) {
        out.push(
          `${run.where}: reads ${key}, set only in ${setIn(key)}, from an environment known only at run time`,
        );
      } else if (environments.length === 0) {
        out.push(
          `${run.where}: reads ${key}, set only in ${setIn(key)}, but runs in no environment`,
        );
      } else {
        for (const e of environments.filter((e) => !scoped.get(key)?.has(e))) {
          out.push(
            `${run.where}: runs in environment '${e}', which does not set ${key} (only ${setIn(key)})`,
          );
        }
      }
    }
  }
  return [...new Set(out)];
}
