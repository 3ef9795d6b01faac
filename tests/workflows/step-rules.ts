/**
 * Steps as the runner runs them: the hidden paths actions/upload-artifact skips, and the steps
 * that must run whatever happened before them. A step without `if` runs only while every step
 * before it succeeded, and a cancelled step is killed 10 s after its SIGINT (GitHub, "Workflow
 * cancellation reference"), so a clean-up left to a script's exit trap is cut short; only an
 * `if: always()` step still runs after a failure or a cancel.
 */
import { actionOf, isTrue, stepName, steps, type Workflow, type Yaml } from "./workflows.js";

/** A path with a segment that starts with a dot (`.`/`..` themselves are not hidden). */
export const isHidden = (path: string) =>
  path
    .replace(/^!/, "")
    .split("/")
    .some((seg) => seg.startsWith(".") && seg !== "." && seg !== "..");

const uploads = (step: Yaml) => actionOf(step) === "actions/upload-artifact";

const pathsOf = (step: Yaml) =>
  String(step.with?.path ?? "")
    .split("\n")
    .map((p) => p.trim())
    .filter(Boolean);

/**
 * actions/upload-artifact from v4.4.0 leaves out hidden files and folders unless
 * `include-hidden-files` is true, so a hidden path uploads nothing (or warns, at best). An
 * expression there is taken as true: only the run would tell.
 */
export function hiddenArtifactPaths(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  for (const [w, id, , step] of steps(all)) {
    if (!uploads(step)) continue;
    const include = step.with?.["include-hidden-files"];
    if (isTrue(include) || /\$\{\{/.test(String(include ?? ""))) continue;
    for (const path of pathsOf(step).filter(isHidden)) {
      out.push(`${w.file} job '${id}': upload-artifact path '${path}' is hidden`);
    }
  }
  return out;
}

const CLEANS_UP = /\bpulumi\s+(?:destroy|stack\s+rm)\b|\bsmoke[:-]aws\b[^\n]*\bcleanup\b/;
const CREATES = /\bpulumi\s+stack\s+init\b|\bsmoke[:-]aws\b/;

/** Destroys what an earlier step created: `pulumi destroy`, `stack rm`, the smoke clean-up. */
export const cleansUp = (step: Yaml) =>
  CLEANS_UP.test(String(step.run ?? "")) ||
  (actionOf(step) === "pulumi/actions" && step.with?.command === "destroy");

/** Creates a throwaway stack that a later step must remove. */
const createsThrowaway = (step: Yaml) => CREATES.test(String(step.run ?? "")) && !cleansUp(step);

/** Keeps the record of a deploy: the model `pulumi up` trained into `.pulumi-build/`. */
const keepsRecord = (step: Yaml) =>
  uploads(step) && pathsOf(step).some((p) => p.startsWith(".pulumi-build/"));

/** `always()` in a step's `if`, not negated. */
export const runsAlways = (step: Yaml) => /(?<![!\w.])always\(\s*\)/.test(String(step.if ?? ""));

/**
 * Clean-up steps and deploy records that would not run after a failed or cancelled step, and
 * throwaway stacks that no later `if: always()` step removes.
 */
export function alwaysStepViolations(all: Map<string, Workflow>): string[] {
  const out: string[] = [];
  for (const [w, id, job, step] of steps(all)) {
    const where = `${w.file} job '${id}' step '${stepName(step)}'`;
    if ((cleansUp(step) || keepsRecord(step)) && !runsAlways(step)) {
      out.push(`${where}: must run after a failed or cancelled step too; give it \`if: always()\``);
    }
    if (createsThrowaway(step)) {
      const later = (job.steps as Yaml[]).slice(job.steps.indexOf(step) + 1);
      if (!later.some((s) => cleansUp(s) && runsAlways(s))) {
        out.push(`${where}: creates a stack that no later \`if: always()\` step cleans up`);
      }
    }
  }
  return out;
}
