/**
 * The AWS roles jobs assume through GitHub's OIDC tokens, as GitHub and STS see them: the job
 * needs `id-token: write` to get a token at all, and STS checks the token's subject and audience
 * against the role's trust policy. The subject (GitHub, "OpenID Connect reference", "Example
 * subject claims") is `repo:OWNER/REPO:environment:NAME` when the job references an environment,
 * else `repo:OWNER/REPO:pull_request` on a pull request, else `repo:OWNER/REPO:ref:<the ref>`;
 * a `:` in a value is sent as `%3A`. In a called workflow the claims describe the caller's run
 * and the environment is the called job's own (a calling job cannot have one).
 */
import { contextNames, environmentNames } from "./expressions.js";
import { type JobRun, jobRuns } from "./runs.js";
import { actionOf, triggers, type Workflow, type Yaml } from "./workflows.js";

/** configure-aws-credentials' default `audience`. */
const STS_AUDIENCE = "sts.amazonaws.com";

/** A step that asks GitHub for an OIDC token to assume a role (not keys, not a token file). */
export const assumesRoleByOidc = (step: Yaml) =>
  actionOf(step) === "aws-actions/configure-aws-credentials" &&
  Boolean(step.with?.["role-to-assume"]) &&
  !step.with?.["aws-access-key-id"] &&
  !step.with?.["web-identity-token-file"];

const oidcSteps = (run: JobRun): Yaml[] =>
  (Array.isArray(run.job?.steps) ? run.job.steps : []).filter(assumesRoleByOidc);

/** Jobs that assume a role through OIDC but whose token may not ask GitHub for one. */
export function idTokenViolations(all: Map<string, Workflow>): string[] {
  const out = jobRuns(all)
    .jobs.filter((run) => oidcSteps(run).length > 0 && run.grant["id-token"] !== "write")
    .map(
      (run) =>
        `${run.where}: assumes a role through OIDC (role-to-assume), which needs 'id-token: write'; the job has 'id-token: ${run.grant["id-token"] ?? "none"}'`,
    );
  return [...new Set(out)];
}

const GLOB = /[*?[\]!+]/;

/** The `ref:…` or `pull_request` part of a job's subject for one event, or why it is unknowable. */
function refContexts(event: string, on: Yaml, defaultBranch: string): string[] | string {
  if (event === "pull_request") return ["pull_request"];
  if (event === "schedule") return [`ref:refs/heads/${defaultBranch}`];
  const filter = on && typeof on === "object" && !Array.isArray(on) ? on[event] : undefined;
  if (event === "push" && filter && !filter["branches-ignore"] && !filter["tags-ignore"]) {
    const list = (x: unknown): string[] => (x === undefined ? [] : [x].flat().map(String));
    const refs = [
      ...list(filter.branches).map((b) => `ref:refs/heads/${b}`),
      ...list(filter.tags).map((t) => `ref:refs/tags/${t}`),
    ];
    if (refs.length > 0 && !refs.some((r) => GLOB.test(r))) return refs;
  }
  return `on ${event} the subject names whichever ref the run is on`;
}

export interface Assumption {
  /** The job, as `permissionViolations` names it. */
  readonly where: string;
  /** X of `role-to-assume: ${{ vars.X }}`, upper-cased as GitHub matches names. */
  readonly roleVariable: string;
  /** The environment the job runs in, for the variables set per environment. */
  readonly environment: string | undefined;
  readonly subject: string;
  readonly audience: string;
}

/** Each role assumption of each job, once per subject the job may send; and what cannot be told. */
export function oidcAssumptions(
  all: Map<string, Workflow>,
  repository: string,
  defaultBranch = "main",
): { assumptions: Assumption[]; problems: string[] } {
  const assumptions: Assumption[] = [];
  const problems: string[] = [];
  const encoded = (s: string) => s.replaceAll(":", "%3A");
  for (const run of jobRuns(all).jobs) {
    for (const step of oidcSteps(run)) {
      const role = String(step.with["role-to-assume"]);
      const names = [...contextNames(role, "vars")];
      if (names.length !== 1 || !/^\$\{\{[^}]*\}\}$/.test(role.trim())) {
        problems.push(
          `${run.where}: role-to-assume is not one \${{ vars.X }}, so its trust is unknown`,
        );
        continue;
      }
      const environments = environmentNames(run.job, { inputs: run.inputs });
      const contexts: [string | undefined, string][] = [];
      if (environments === undefined) {
        problems.push(`${run.where}: which environment the job runs in is known only at run time`);
        continue;
      } else if (environments.length > 0) {
        for (const e of environments) contexts.push([e, `environment:${encoded(e)}`]);
      } else {
        for (const event of triggers(run.entry.doc)) {
          const refs = refContexts(event, run.entry.doc.on, defaultBranch);
          if (typeof refs === "string")
            problems.push(`${run.where}: ${refs}; give the job an environment`);
          else for (const r of refs) contexts.push([undefined, r]);
        }
      }
      for (const [environment, context] of contexts) {
        assumptions.push({
          where: run.where,
          roleVariable: (names[0] as string).toUpperCase(),
          environment,
          subject: `repo:${repository}:${context}`,
          audience: String(step.with.audience ?? STS_AUDIENCE),
        });
      }
    }
  }
  return { assumptions, problems: [...new Set(problems)] };
}

/**
 * Why STS would refuse an assumption (the role does not exist, or its trust policy does not
 * match the token), or undefined when it would let the job in.
 */
export type TrustDecision = (a: Assumption) => string | undefined;

/** Every assumption STS would refuse, and every job whose subject cannot be told. */
export function oidcViolations(
  all: Map<string, Workflow>,
  repository: string,
  decide: TrustDecision,
  defaultBranch = "main",
): string[] {
  const { assumptions, problems } = oidcAssumptions(all, repository, defaultBranch);
  const refused = assumptions.flatMap((a) => {
    const why = decide(a);
    return why === undefined
      ? []
      : [`${a.where}: assumes vars.${a.roleVariable} as ${a.subject}, which STS refuses: ${why}`];
  });
  return [...new Set([...refused, ...problems])];
}
