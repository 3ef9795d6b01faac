/**
 * Each role's policies (and boundary) evaluated against the calls it makes: the deploy role of a
 * stack for `pulumi up`, `refresh` and `destroy` of what that stack registers; the preview role
 * for `pulumi preview` (and `--refresh`); the Lambda, SageMaker and CodeDeploy roles at run time,
 * within the boundary. Needed calls must be allowed, the samples refused, and no Allow statement may be
 * dead weight: removing any one of them refuses a needed call.
 */
import { strict as assert } from "node:assert";
import { readFile } from "node:fs/promises";
import { modelKeyFor } from "../../core/registry.js";
import { actionsFor, fitsAction } from "../helpers/iam-catalogue.js";
import { evaluate, type Principal } from "../helpers/iam-evaluator.js";
import { type PolicyDocument, statements } from "../helpers/iam-policy.js";
import {
  type ProgramRun,
  runBootstrap,
  runStack,
  stackConfigFile,
} from "../helpers/iam-programs.js";
import { type Registered, tempDir, writeTestModel } from "./harness.js";
import { type Call, INVOKE_CALLS, providerCalls, type Step } from "./iam-calls.js";
import {
  codedeployRuntimeCalls,
  deniedReadsOfOtherStacks,
  deniedToDeployRole,
  deniedToEveryone,
  deniedToPreviewRole,
  lambdaRuntimeCalls,
  outsideRegistry,
  sagemakerRuntimeCalls,
} from "./iam-samples.js";

const EMAIL = { "iris-mlops:alerts": { email: "oncall@example.com" } };
// every call here goes over TLS, which the bucket policy requires
const tls = (c: Call): Call => ({ ...c, context: { "aws:SecureTransport": "true", ...c.context } });

const doc = (r: Registered, field = "policy") => JSON.parse(r.inputs[field]) as PolicyDocument;
const named = (run: ProgramRun, type: string, name: string) => {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `${type} ${name}`);
  return found[0] as Registered;
};
const invokeCalls = (run: ProgramRun) =>
  run.invokes.flatMap((i) => {
    const calls = INVOKE_CALLS[i.token];
    if (!calls)
      throw new Error(`no call table for the invoke ${i.token} (tests/infra/iam-calls.ts)`);
    return calls(i.inputs);
  });

function refusals(principal: Principal, calls: Call[]): string[] {
  return calls
    .map(tls)
    .map((c) => [c, evaluate(principal, c)] as const)
    .filter(([, d]) => d !== "allowed")
    .map(([c, d]) => `${c.action} on ${c.resource} ${JSON.stringify(c.context)}: ${d}`);
}
const allowedOf = (principal: Principal, calls: Call[]) =>
  calls
    .filter((c) => evaluate(principal, tls(c)) === "allowed")
    .map((c) => `${c.action} on ${c.resource}`);

/** Each Allow statement, removed in turn, must refuse at least one needed call. */
function deadStatements(
  principal: Principal,
  calls: Call[],
  which: "identity" | "boundary",
): string[] {
  const source =
    which === "identity" ? (principal.identity[0] as PolicyDocument) : principal.boundary;
  if (!source) return [];
  return statements(source)
    .filter((st) => st.Effect === "Allow")
    .filter((st) => {
      const without = { ...source, Statement: statements(source).filter((s) => s !== st) };
      const mutated =
        which === "identity"
          ? { ...principal, identity: [without, ...principal.identity.slice(1)] }
          : { ...principal, boundary: without };
      return refusals(mutated, calls).length === 0;
    })
    .map((st) => st.Sid ?? JSON.stringify(st.Action));
}

interface Deployed {
  readonly run: ProgramRun;
  readonly preview: ProgramRun;
  readonly deploy: Principal;
  readonly previewRole: Principal;
  readonly bucketPolicy: PolicyDocument;
}

describe("IAM: each role against the calls it makes", function () {
  this.timeout(180000);
  const stacks: Record<string, Deployed> = {};
  let boundaries: Record<string, { arn: string; document: PolicyDocument }> = {};

  before(async () => {
    const bootstrap = await runBootstrap("iris-org/iris-mlops");
    const role = (name: string) => named(bootstrap, "aws:iam/role:Role", name).state.arn as string;
    boundaries = Object.fromEntries(
      ["dev", "prod"].map((s) => {
        const policy = named(bootstrap, "aws:iam/policy:Policy", `github-${s}-boundary`);
        return [s, { arn: policy.state.arn as string, document: doc(policy) }];
      }),
    );
    const previewPolicy = doc(
      named(bootstrap, "aws:iam/rolePolicy:RolePolicy", "github-preview-policy"),
    );
    // a stack pinned to a version of its registry (a rollback): the lookup's reads too
    const registry = await tempDir("iam-registry");
    const { tarball, manifest } = await writeTestModel(registry.dir);
    const objects = new Map([[modelKeyFor(manifest.model_version), await readFile(tarball)]]);
    await registry.remove();
    const pinned = { "iris-mlops:model.version": manifest.model_version };
    const variants: [string, string, Record<string, unknown>][] = [
      ["dev", "dev", {}],
      [
        "dev+sagemaker",
        "dev",
        { ...EMAIL, "iris-mlops:sagemaker": { enabled: true, mode: "serverless" } },
      ],
      // and new versions rolled out linearly, with a deployment configuration of its own
      [
        "dev+instances+linear",
        "dev",
        {
          "iris-mlops:sagemaker": { enabled: true, mode: "instances" },
          "iris-mlops:api": {
            ...((await stackConfigFile("dev"))["iris-mlops:api"] as object),
            rollout: { type: "linear", percentage: 25, intervalMinutes: 5 },
          },
        },
      ],
      // callers with a token: the stack creates a JWT authorizer
      [
        "dev+jwt",
        "dev",
        {
          "iris-mlops:api": {
            ...((await stackConfigFile("dev"))["iris-mlops:api"] as object),
            auth: {
              mode: "jwt",
              issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
              audience: "client-a",
            },
          },
        },
      ],
      ["prod", "prod", EMAIL],
      ["prod+pinned", "prod", { ...EMAIL, ...pinned }],
      // prod's own settings, but every new version at once: CodeDeploy's own configuration
      [
        "prod+all-at-once",
        "prod",
        {
          "iris-mlops:api": {
            ...((await stackConfigFile("prod"))["iris-mlops:api"] as object),
            rollout: { type: "all-at-once" },
          },
        },
      ],
    ];
    for (const [label, stack, extra] of variants) {
      const config = {
        ...(await stackConfigFile(stack)),
        ...extra,
        "iris-mlops:permissionsBoundaryArn": boundaries[stack]?.arn,
      };
      const run = await runStack(stack, config, false, objects);
      const bucketPolicy = doc(
        run.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy") as Registered,
      );
      stacks[label] = {
        run,
        preview: await runStack(stack, config, true, objects),
        bucketPolicy,
        deploy: {
          arn: role(`github-${stack}-deploy`),
          identity: [
            doc(named(bootstrap, "aws:iam/rolePolicy:RolePolicy", `github-${stack}-deploy-policy`)),
          ],
          resourcePolicies: [bucketPolicy],
        },
        previewRole: {
          arn: role("github-preview"),
          identity: [previewPolicy],
          resourcePolicies: [bucketPolicy],
        },
      };
    }
  });

  const deployCalls = (d: Deployed, steps: Step[]) => [
    ...providerCalls(d.run, steps),
    ...invokeCalls(d.run),
  ];
  const UP: Step[] = ["create", "read", "update"];
  const DESTROY: Step[] = ["read", "delete"];

  /** The runtime roles of a run, with their inline policies, boundary and calls. */
  function runtimeRoles(d: Deployed, stack: string) {
    const roleFor = (arn: string): Principal => {
      const role = d.run.resources.find(
        (r) => r.type === "aws:iam/role:Role" && r.state.arn === arn,
      ) as Registered;
      assert.equal(
        role.inputs.permissionsBoundary,
        boundaries[stack]?.arn,
        `${arn} carries the stack's boundary`,
      );
      const inline = d.run.resources
        .filter(
          (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === role.state.name,
        )
        .map((r) => doc(r));
      return {
        arn,
        identity: inline,
        boundary: boundaries[stack]?.document,
        resourcePolicies: [d.bucketPolicy],
      };
    };
    const roles: { label: string; principal: Principal; calls: Call[] }[] = [];
    for (const fn of d.run.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
      roles.push({
        label: "Lambda",
        principal: roleFor(fn.inputs.role),
        calls: lambdaRuntimeCalls(fn),
      });
    }
    const endpoint = d.run.resources.find((r) => r.type === "aws-native:sagemaker:Endpoint");
    for (const model of d.run.resources.filter((r) => r.type === "aws:sagemaker/model:Model")) {
      roles.push({
        label: "SageMaker",
        principal: roleFor(model.inputs.executionRoleArn),
        calls: sagemakerRuntimeCalls(model, endpoint?.inputs.endpointName),
      });
    }
    for (const group of d.run.resources.filter(
      (r) => r.type === "aws:codedeploy/deploymentGroup:DeploymentGroup",
    )) {
      roles.push({
        label: "CodeDeploy",
        principal: roleFor(group.inputs.serviceRoleArn),
        calls: codedeployRuntimeCalls(group, d.run.resources),
      });
    }
    return roles;
  }

  for (const label of [
    "dev",
    "dev+sagemaker",
    "dev+instances+linear",
    "prod",
    "prod+pinned",
    "prod+all-at-once",
  ]) {
    const stack = label.split("+")[0] as string;
    const other = stack === "dev" ? "prod" : "dev";

    describe(label, () => {
      it("lists only real actions on resources they apply to", async () => {
        const d = stacks[label] as Deployed;
        const all = [
          ...deployCalls(d, ["create", "read", "update", "delete"]),
          ...runtimeRoles(d, stack).flatMap((r) => r.calls),
        ];
        const wrong: string[] = [];
        for (const c of all) {
          const [info] = await actionsFor(c.action);
          if (!info || c.action.includes("*")) wrong.push(`${c.action}: no such action`);
          else if (!fitsAction(c.resource, info) || (c.resource === "*" && info.requiresResource)) {
            wrong.push(`${c.action} does not act on ${c.resource}`);
          }
        }
        assert.deepEqual(wrong, []);
      });

      it("the deploy role may make every call of pulumi up, refresh and destroy", () => {
        const d = stacks[label] as Deployed;
        assert.deepEqual(refusals(d.deploy, deployCalls(d, UP)), []);
        assert.deepEqual(refusals(d.deploy, deployCalls(d, DESTROY)), []);
      });

      it("the preview role may make every call of pulumi preview and preview --refresh", () => {
        const d = stacks[label] as Deployed;
        const preview = invokeCalls(d.preview);
        if (label !== "dev") {
          // the registry login TrainingImage asks for once the repository is known
          assert.ok(preview.some((c) => c.action === "ecr:GetAuthorizationToken"));
        }
        // a pinned version is looked up in the registry in preview too, with this role's rights
        assert.deepEqual(
          preview.filter((c) => c.action.startsWith("s3:")).map((c) => c.action),
          label.endsWith("+pinned") ? ["s3:ListBucket", "s3:GetObject", "s3:GetObjectTagging"] : [],
        );
        assert.deepEqual(refusals(d.previewRole, preview), []);
        assert.deepEqual(refusals(d.previewRole, providerCalls(d.run, ["read"])), []);
      });

      it("the Lambda, SageMaker and CodeDeploy roles may make their runtime calls, within the boundary", () => {
        const d = stacks[label] as Deployed;
        const roles = runtimeRoles(d, stack);
        assert.deepEqual(
          roles.map((r) => r.label),
          label === "dev" ? ["Lambda", "CodeDeploy"] : ["Lambda", "SageMaker", "CodeDeploy"],
        );
        for (const r of roles) assert.deepEqual(refusals(r.principal, r.calls), [], r.label);
      });

      it("every role is refused other stacks', other accounts' and escalating calls", () => {
        const d = stacks[label] as Deployed;
        const everyone = deniedToEveryone(stack, other);
        const oneStack = [...everyone, ...deniedReadsOfOtherStacks(other)];
        assert.deepEqual(
          allowedOf(d.deploy, [
            ...oneStack,
            ...deniedToDeployRole(stack, boundaries[stack]?.arn as string),
          ]),
          [],
        );
        assert.deepEqual(
          allowedOf(d.previewRole, [...everyone, ...deniedToPreviewRole(stack)]),
          [],
        );
        for (const r of runtimeRoles(d, stack)) {
          const theirs = new Set(r.calls.map((c) => `${c.action} ${c.resource}`));
          const others = [
            ...oneStack,
            ...r.calls.map((c) => ({
              ...c,
              action: c.action.replace(/:Get|:Describe|:Create|:Put|:Batch/, ":Delete"),
            })),
            ...outsideRegistry(r.calls),
            {
              action: "cloudwatch:PutMetricData",
              resource: "*",
              context: { "cloudwatch:namespace": "Other" },
            },
          ].filter((c) => !theirs.has(`${c.action} ${c.resource}`));
          assert.deepEqual(allowedOf(r.principal, others), [], r.label);
          // the boundary holds even if the role's own policy allowed everything
          const admin: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
          };
          assert.deepEqual(allowedOf({ ...r.principal, identity: [admin] }, everyone), [], r.label);
        }
      });

      it("plain HTTP to the model bucket is refused to everyone", () => {
        const d = stacks[label] as Deployed;
        const read = lambdaRuntimeCalls(
          d.run.resources.find((r) => r.type === "aws:lambda/function:Function") as Registered,
        )[0] as Call;
        const http = { ...read, context: { "aws:SecureTransport": "false" } };
        assert.equal(evaluate(d.deploy, http), "denied explicitly");
        assert.equal(
          evaluate(runtimeRoles(d, stack)[0]?.principal as Principal, http),
          "denied explicitly",
        );
      });
    });
  }

  it("no Allow statement is dead weight: removing any one refuses a needed call", () => {
    // the union over the variants: SageMaker's statements are needed only where it is on
    const dev = [stacks.dev, stacks["dev+sagemaker"], stacks["dev+instances+linear"]] as Deployed[];
    const prod = stacks.prod as Deployed;
    const prods = [prod, stacks["prod+all-at-once"]] as Deployed[];
    const calls = (ds: Deployed[]) =>
      ds.flatMap((d) => [...deployCalls(d, UP), ...deployCalls(d, DESTROY)]);
    assert.deepEqual(deadStatements(dev[0]?.deploy as Principal, calls(dev), "identity"), []);
    assert.deepEqual(deadStatements(prod.deploy, calls(prods), "identity"), []);
    const previewCalls = [...dev, prod].flatMap((d) => [
      ...invokeCalls(d.preview),
      ...providerCalls(d.run, ["read"]),
    ]);
    assert.deepEqual(deadStatements(prod.previewRole, previewCalls, "identity"), []);
    // runs whose roles make every kind of runtime call: SageMaker on, alarms guarding a rollout
    for (const [d, stack] of [
      [stacks["dev+instances+linear"], "dev"],
      [prod, "prod"],
    ] as const) {
      const roles = runtimeRoles(d as Deployed, stack);
      for (const r of roles)
        assert.deepEqual(deadStatements(r.principal, r.calls, "identity"), [], r.label);
      const union = roles.flatMap((r) => r.calls);
      const wide = {
        ...(roles[1] as { principal: Principal }).principal,
        identity: [
          {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }],
          },
        ],
      };
      assert.deepEqual(deadStatements(wide, union, "boundary"), [], `${stack} boundary`);
    }
  });
});
