/**
 * Who may assume each role, as STS evaluates the trust policies the bootstrap creates: GitHub's
 * OIDC tokens of one repository, by environment or pull request; the service roles by their
 * service only.
 */
import { strict as assert } from "node:assert";
import { evaluate, type Principal } from "../helpers/iam-evaluator.js";
import type { PolicyDocument } from "../helpers/iam-policy.js";
import {
  type ProgramRun,
  permissionDocument,
  runBootstrap,
  runStack,
  stackConfigFile,
} from "../helpers/iam-programs.js";
import type { Registered } from "./harness.js";

const REPO = "iris-org/iris-mlops";
const trustOf = (run: ProgramRun, name: string) => {
  const role = run.resources.find(
    (r) => r.type === "aws:iam/role:Role" && r.name === name,
  ) as Registered;
  return {
    arn: role.state.arn as string,
    trust: JSON.parse(role.inputs.assumeRolePolicy) as PolicyDocument,
  };
};

describe("IAM: who may assume each role", function () {
  this.timeout(120000);
  let bootstrap: ProgramRun;
  let stack: ProgramRun;
  before(async () => {
    bootstrap = await runBootstrap(REPO);
    stack = await runStack("prod", await stackConfigFile("prod"));
  });

  it("GitHub jobs of this repository only: the stack's environment, or a pull request for previews", () => {
    const provider = bootstrap.resources.find(
      (r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    )?.state.arn as string;
    const as = (sub: string, aud = "sts.amazonaws.com") => ({
      action: "sts:AssumeRoleWithWebIdentity",
      resource: "",
      context: {
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:aud": aud,
      },
    });
    const cases: [string, string, boolean][] = [
      ["github-prod-deploy", `repo:${REPO}:environment:prod`, true],
      ["github-prod-deploy", `repo:${REPO}:environment:dev`, false],
      ["github-prod-deploy", `repo:${REPO}:pull_request`, false],
      ["github-prod-deploy", `repo:${REPO}:ref:refs/heads/main`, false],
      ["github-prod-deploy", "repo:someone/fork:environment:prod", false],
      ["github-dev-deploy", `repo:${REPO}:environment:dev`, true],
      ["github-preview", `repo:${REPO}:pull_request`, true],
      ["github-preview", `repo:${REPO}:environment:prod`, false],
    ];
    for (const [role, sub, allowed] of cases) {
      const { arn, trust } = trustOf(bootstrap, role);
      const p: Principal = { arn: provider, identity: [], resourcePolicies: [trust] };
      const req = { ...as(sub), resource: arn };
      assert.equal(evaluate(p, req), allowed ? "allowed" : "not allowed", `${role} for ${sub}`);
      if (allowed)
        assert.equal(
          evaluate(p, {
            ...req,
            context: { ...req.context, "token.actions.githubusercontent.com:aud": "other" },
          }),
          "not allowed",
        );
      const other = { ...p, arn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" };
      assert.equal(evaluate(other, req), "not allowed", `${role} from another provider`);
    }
  });

  it("the Lambda's, the endpoint's and CodeDeploy's roles by their service only", () => {
    for (const [name, service] of [
      ["api-role", "lambda.amazonaws.com"],
      ["sagemaker-role", "sagemaker.amazonaws.com"],
      ["api-rollout-role", "codedeploy.amazonaws.com"],
    ]) {
      const { arn, trust } = trustOf(stack, name as string);
      const by = (caller: string) =>
        evaluate(
          { arn: caller, identity: [], resourcePolicies: [trust] },
          { action: "sts:AssumeRole", resource: arn },
        );
      assert.equal(by(service as string), "allowed");
      assert.equal(by("ec2.amazonaws.com"), "not allowed");
      assert.equal(by("arn:aws:iam::123456789012:user/someone"), "not allowed");
    }
  });

  it("the function's live alias answers API Gateway for its own API only, and nothing else of the function does", () => {
    const permission = stack.resources.find(
      (r) => r.type === "aws:lambda/permission:Permission",
    ) as Registered;
    const api = stack.resources.find((r) => r.type === "aws:apigatewayv2/api:Api") as Registered;
    const fn = stack.resources.find((r) => r.type === "aws:lambda/function:Function") as Registered;
    const invoke = (caller: string, sourceArn: string, resource = `${fn.state.arn}:live`) =>
      evaluate(
        { arn: caller, identity: [], resourcePolicies: [permissionDocument(permission)] },
        { action: "lambda:InvokeFunction", resource, context: { "aws:SourceArn": sourceArn } },
      );
    const own = `${api.state.executionArn}/$default/POST/predict`;
    assert.equal(invoke("apigateway.amazonaws.com", own), "allowed");
    // the unqualified function ($LATEST, never rolled out) and a version by itself stay closed
    assert.equal(invoke("apigateway.amazonaws.com", own, fn.state.arn), "not allowed");
    assert.equal(
      invoke("apigateway.amazonaws.com", own, `${fn.state.arn}:${fn.state.version}`),
      "not allowed",
    );
    assert.equal(
      invoke("apigateway.amazonaws.com", own.replace(/:[^:/]+\//, ":otherapi/")),
      "not allowed",
    );
    assert.equal(invoke("s3.amazonaws.com", own), "not allowed");
  });
});
