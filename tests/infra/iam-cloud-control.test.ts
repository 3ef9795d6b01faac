/**
 * The SageMaker endpoint is an aws-native resource: its provider asks AWS Cloud Control to create,
 * read, update and delete it, and Cloud Control runs the resource type's handlers, which call
 * SageMaker with the caller's own credentials. What each handler calls is listed in the resource
 * type's schema: the deploy role (components/deploy-role-statements.ts) must allow all of it on
 * the stack's endpoint, the preview role what a refresh reads, and the call tables that the role
 * checks read (tests/infra/iam-calls.ts) must list it.
 */
import { strict as assert } from "node:assert";
import {
  deployStatements,
  previewStatements,
  type Scope,
} from "../../components/deploy-role-statements.js";
import { actionsFor, fitsAction } from "../helpers/iam-catalogue.js";
import { evaluate, type Principal } from "../helpers/iam-evaluator.js";
import { type ProgramRun, runStack, stackConfigFile } from "../helpers/iam-programs.js";
import { ACCOUNT, PROJECT, REGION, type Registered } from "./harness.js";
import { type Call, PROVIDER_CALLS, type Step } from "./iam-calls.js";

/**
 * `handlers.<step>.permissions` of AWS::SageMaker::Endpoint, from its CloudFormation registry
 * schema as pulumi/pulumi-aws-native keeps it to generate `sagemaker.Endpoint`:
 * aws-cloudformation-schema/aws-sagemaker-endpoint.json, last changed in commit 268bf641
 * (2024-10-28), the same lists in the newest stored copy (650b565e); read 2026-12-02. Not used:
 * `list` (sagemaker:ListEndpoints), which the provider never calls.
 */
const HANDLER_PERMISSIONS: Record<Step, string[]> = {
  create: ["sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:AddTags"],
  read: ["sagemaker:DescribeEndpoint", "sagemaker:ListTags"],
  update: [
    "sagemaker:UpdateEndpoint",
    "sagemaker:DescribeEndpoint",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
  ],
  delete: ["sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint"],
};
const STEPS = Object.keys(HANDLER_PERMISSIONS) as Step[];
const ENDPOINT = "aws-native:sagemaker:Endpoint";
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/github-boundary`;

const scopeOf = (stack: string): Scope => ({
  partition: "aws",
  region: REGION,
  account: ACCOUNT,
  project: PROJECT,
  stack,
});
const role = (name: string, statements: unknown[]): Principal => ({
  arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  identity: [{ Version: "2012-10-17", Statement: statements as never }],
});

// the two calls that name a configuration, which IAM authorises on it as well as on the endpoint
const NAMES_CONFIGURATION = new Set(["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"]);

/** A step's handler permissions as calls on the stack's endpoint (and its configuration). */
async function handlerCalls(run: ProgramRun, step: Step): Promise<Call[]> {
  const endpoint = run.resources.find((r) => r.type === ENDPOINT) as Registered;
  const config = run.resources.find(
    (r) => r.type === "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
  ) as Registered;
  const calls: Call[] = [];
  for (const action of HANDLER_PERMISSIONS[step]) {
    const [info] = await actionsFor(action);
    assert.ok(info, `${action} is not in AWS's catalogue`);
    const on = [
      endpoint.state.endpointArn,
      ...(NAMES_CONFIGURATION.has(action) ? [config.state.arn] : []),
    ];
    for (const resource of on as string[]) {
      assert.ok(fitsAction(resource, info), `${action} does not act on ${resource}`);
      calls.push({ action, resource });
    }
  }
  return calls;
}

const refused = (principal: Principal, calls: Call[]) =>
  calls
    .map((c) => [c, evaluate(principal, c)] as const)
    .filter(([, decision]) => decision !== "allowed")
    .map(([c, decision]) => `${c.action} on ${c.resource}: ${decision}`);

describe("IAM: Cloud Control's handlers for the SageMaker endpoint", function () {
  this.timeout(120000);
  const runs: Record<string, ProgramRun> = {};

  before(async () => {
    runs.dev = await runStack("dev", {
      ...(await stackConfigFile("dev")),
      "iris-mlops:sagemaker": { enabled: true, mode: "serverless" },
    });
    runs.prod = await runStack("prod", await stackConfigFile("prod"));
  });

  it("the call table lists every handler permission under its step", () => {
    const life = PROVIDER_CALLS[ENDPOINT];
    assert.ok(life);
    const missing = STEPS.flatMap((step) => {
      const listed = new Set(
        (life[step] ?? []).map((row) => (typeof row === "string" ? row : row[0])),
      );
      return HANDLER_PERMISSIONS[step].filter((a) => !listed.has(a)).map((a) => `${step}: ${a}`);
    });
    assert.deepEqual(missing, []);
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: the deploy role allows every handler permission on the stack's endpoint`, async () => {
      const deploy = role(`github-${stack}-deploy`, deployStatements(scopeOf(stack), BOUNDARY));
      for (const step of STEPS) {
        const calls = await handlerCalls(runs[stack] as ProgramRun, step);
        assert.deepEqual(refused(deploy, calls), [], step);
      }
    });

    it(`${stack}: the preview role allows the read handler (a refresh in preview)`, async () => {
      const preview = role(
        "github-preview",
        previewStatements({ ...scopeOf(stack), stack: undefined }),
      );
      assert.deepEqual(refused(preview, await handlerCalls(runs[stack] as ProgramRun, "read")), []);
    });

    it(`${stack}: the deploy role may not run the handlers on the other stack's endpoint`, async () => {
      const other = stack === "dev" ? "prod" : "dev";
      const deploy = role(`github-${stack}-deploy`, deployStatements(scopeOf(stack), BOUNDARY));
      for (const step of STEPS) {
        const calls = await handlerCalls(runs[other] as ProgramRun, step);
        const allowed = calls.filter((c) => evaluate(deploy, c) === "allowed");
        assert.deepEqual(allowed, [], step);
      }
    });
  }
});
