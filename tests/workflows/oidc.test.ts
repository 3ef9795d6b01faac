/**
 * The roles the workflows assume, as GitHub and STS decide it: each job that assumes a role can
 * get an OIDC token (`id-token: write`), and the subject GitHub sends for it is one the role's
 * trust policy allows. The trust policies are the ones GitHubDeployRoles creates (run under the
 * infra mocks with the stacks docs/ci-cd.md tells users to bootstrap), evaluated by the IAM
 * evaluator the infra tests use; which role a job gets is read from the docs' table of names.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GitHubDeployRoles } from "../../components/github-deploy-roles.js";
import { evaluate } from "../helpers/iam-evaluator.js";
import type { PolicyDocument } from "../helpers/iam-policy.js";
import { settle, useMocks, value } from "../infra/harness.js";
import { CI_CD_DOC, citedOutput, namesTable, ROOT } from "./docs-table.js";
import {
  type Assumption,
  idTokenViolations,
  oidcAssumptions,
  oidcViolations,
  repoWorkflows,
  type TrustDecision,
  workflowOf,
  workflowSet,
} from "./github-rules.js";

const REPO = "iris-org/iris-mlops";
const workflows = repoWorkflows();
const set = workflowSet;

/** The stacks docs/ci-cd.md has users bootstrap (with the smoke run's). */
const bootstrapStacks = (): string[] =>
  JSON.parse(CI_CD_DOC.match(/pulumi config set stacks '(\[[^']*\])'/)?.[1] ?? "[]");

/** bootstrap/index.ts's outputs, by the GitHubDeployRoles field each one exports. */
const exportedFields = new Map(
  [
    ...readFileSync(join(ROOT, "bootstrap", "index.ts"), "utf8").matchAll(
      /^export const (\w+) = roles\.(\w+);/gm,
    ),
  ].map((m) => [m[1] as string, m[2] as string]),
);

type Outputs = Record<string, string | Record<string, string>>;

/** The roles GitHubDeployRoles creates for a repository: its outputs, and each role's trust. */
async function bootstrap(repository: string) {
  const mocks = await useMocks({}, "aws-account");
  const roles = new GitHubDeployRoles("github", { repository, stacks: bootstrapStacks() });
  await settle(mocks, [roles.previewRoleArn, ...Object.values(roles.deployRoleArns)]);
  const deploy: Record<string, string> = {};
  for (const [stack, arn] of Object.entries(roles.deployRoleArns)) deploy[stack] = await value(arn);
  const outputs: Outputs = {
    previewRoleArn: await value(roles.previewRoleArn),
    deployRoleArns: deploy,
  };
  const trust = new Map(
    mocks
      .all("aws:iam/role:Role")
      .map((r) => [r.state.arn as string, JSON.parse(r.inputs.assumeRolePolicy) as PolicyDocument]),
  );
  return { outputs, trust, provider: await value(roles.oidcProviderArn) };
}

/** STS's answer for a job's token, with the role the docs' table says the variable holds. */
function sts(roles: Awaited<ReturnType<typeof bootstrap>>): TrustDecision {
  const rows = namesTable();
  return (a: Assumption) => {
    const output = citedOutput(rows.find((r) => r.name === a.roleVariable));
    const field = output === undefined ? undefined : exportedFields.get(output);
    const held = field === undefined ? undefined : roles.outputs[field];
    if (held === undefined) return `vars.${a.roleVariable} holds no bootstrap role`;
    const arn = typeof held === "string" ? held : held[a.environment ?? ""];
    if (arn === undefined) {
      return `bootstrap creates no ${output} entry for environment '${a.environment ?? "(none)"}'`;
    }
    const trust = roles.trust.get(arn);
    if (trust === undefined) return `no role has the ARN ${arn}`;
    const decision = evaluate(
      { arn: roles.provider, identity: [], resourcePolicies: [trust] },
      {
        action: "sts:AssumeRoleWithWebIdentity",
        resource: arn,
        context: {
          "token.actions.githubusercontent.com:sub": a.subject,
          "token.actions.githubusercontent.com:aud": a.audience,
        },
      },
    );
    return decision === "allowed" ? undefined : `its trust policy: ${decision}`;
  };
}

const assuming = (perm: string, extra = "") =>
  `    runs-on: ubuntu-24.04\n${perm}    steps:\n      - uses: AWS-Actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: \${{ vars.AWS_DEPLOY_ROLE_ARN }}\n          aws-region: eu-west-1\n${extra}`;

describe("the roles the workflows assume (OIDC, as GitHub and STS decide)", function () {
  this.timeout(60000);
  let roles: Awaited<ReturnType<typeof bootstrap>>;
  before(async () => {
    roles = await bootstrap(REPO);
  });

  it("every job that assumes a role sends a subject its role's trust policy allows", () => {
    assert.ok(bootstrapStacks().includes("smoke"), "the docs bootstrap the smoke stack");
    const { assumptions } = oidcAssumptions(workflows, REPO);
    assert.ok(assumptions.length >= 4, JSON.stringify(assumptions));
    assert.deepEqual(oidcViolations(workflows, REPO, sts(roles)), []);
  });

  it("and with the immutable subject GitHub sends for repositories created after July 15, 2026", async () => {
    const immutable = "iris-org@123456/iris-mlops@456789";
    assert.deepEqual(oidcViolations(workflows, immutable, sts(await bootstrap(immutable))), []);
  });

  it("sends the subject GitHub documents: the called job's environment, else the event's ref", () => {
    const caller = workflowOf(
      "deploy.yml",
      "on:\n  push: { branches: [main] }\n  pull_request:\njobs:\n  dev:\n    uses: ./.github/workflows/up.yml\n    with: { stack: 'dev:blue' }\n",
    );
    const callee = workflowOf(
      "up.yml",
      `on:\n  workflow_call:\n    inputs: { stack: { type: string, required: true } }\njobs:\n  up:\n    environment: \${{ inputs.stack }}\n${assuming("")}  plain:\n${assuming("")}`,
    );
    const subjects = oidcAssumptions(set(caller, callee), REPO).assumptions.map(
      (a) => `${a.where} ${a.subject} ${a.audience}`,
    );
    assert.deepEqual(subjects, [
      `deploy.yml job 'dev' → up.yml job 'up' repo:${REPO}:environment:dev%3Ablue sts.amazonaws.com`,
      `deploy.yml job 'dev' → up.yml job 'plain' repo:${REPO}:ref:refs/heads/main sts.amazonaws.com`,
      `deploy.yml job 'dev' → up.yml job 'plain' repo:${REPO}:pull_request sts.amazonaws.com`,
    ]);
    const dispatched = workflowOf(
      "d.yml",
      `on: [workflow_dispatch, schedule]\njobs:\n  j:\n${assuming("")}`,
    );
    assert.deepEqual(oidcAssumptions(set(dispatched), REPO), {
      assumptions: [
        {
          where: "d.yml job 'j'",
          roleVariable: "AWS_DEPLOY_ROLE_ARN",
          environment: undefined,
          subject: `repo:${REPO}:ref:refs/heads/main`,
          audience: "sts.amazonaws.com",
        },
      ],
      problems: [
        "d.yml job 'j': on workflow_dispatch the subject names whichever ref the run is on; give the job an environment",
      ],
    });
  });

  it("reports a deploy role assumed without the environment its trust names, or in another", () => {
    const w = workflowOf(
      "x.yml",
      `on:\n  push: { branches: [main] }\njobs:\n  bare:\n${assuming("")}  staging:\n    environment: staging\n${assuming("")}`,
    );
    assert.deepEqual(oidcViolations(set(w), REPO, sts(roles)), [
      "x.yml job 'bare': assumes vars.AWS_DEPLOY_ROLE_ARN as repo:iris-org/iris-mlops:ref:refs/heads/main, which STS refuses: bootstrap creates no deployRoleArns entry for environment '(none)'",
      "x.yml job 'staging': assumes vars.AWS_DEPLOY_ROLE_ARN as repo:iris-org/iris-mlops:environment:staging, which STS refuses: bootstrap creates no deployRoleArns entry for environment 'staging'",
    ]);
    const preview = workflowOf(
      "p.yml",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
      "on: pull_request\njobs:\n  j:\n    environment: prod\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with: { role-to-assume: '${{ vars.AWS_PREVIEW_ROLE_ARN }}', aws-region: eu-west-1 }\n",
    );
    assert.deepEqual(oidcViolations(set(preview), REPO, sts(roles)), [
      `p.yml job 'j': assumes vars.AWS_PREVIEW_ROLE_ARN as repo:${REPO}:environment:prod, which STS refuses: its trust policy: not allowed`,
    ]);
  });

  describe("id-token: write where a role is assumed through OIDC", () => {
    it("holds for every job in .github/workflows", () => {
      assert.deepEqual(idTokenViolations(workflows), []);
    });

    it("reports a job whose token cannot ask for an OIDC token, there or through its caller", () => {
      const w = workflowOf(
        "x.yml",
        [
          "on: push",
          "permissions: { contents: read }",
          "jobs:",
          "  own:",
          assuming("").trimEnd(),
          "  keys:",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expressions, not JS templates
          assuming("", "          aws-access-key-id: ${{ secrets.KEY }}\n").trimEnd(),
          "  call:",
          "    uses: ./.github/workflows/up.yml",
          "    permissions: { contents: read, id-token: write }",
        ].join("\n"),
      );
      const callee = workflowOf("up.yml", `on: workflow_call\njobs:\n  up:\n${assuming("")}`);
      assert.deepEqual(idTokenViolations(set(w, callee)), [
        "x.yml job 'own': assumes a role through OIDC (role-to-assume), which needs 'id-token: write'; the job has 'id-token: none'",
      ]);
      const capped = workflowOf(
        "up.yml",
        `on: workflow_call\npermissions: {}\njobs:\n  up:\n${assuming("")}`,
      );
      assert.deepEqual(idTokenViolations(set(w, capped)).slice(1), [
        "x.yml job 'call' → up.yml job 'up': assumes a role through OIDC (role-to-assume), which needs 'id-token: write'; the job has 'id-token: none'",
      ]);
    });
  });
});
