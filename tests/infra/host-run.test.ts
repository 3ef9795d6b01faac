/**
 * Both Pulumi programs (the root stack with each stack's config, and bootstrap/) started as the
 * Pulumi CLI starts them: from the program's folder with its Pulumi.yaml, through
 * @pulumi/pulumi's own cmd/run and ts-node, for preview and for up, against a recording engine
 * served over gRPC (tests/infra/host/). Each run must load, finish and log no error or warning;
 * two fresh checkouts in two folders must register the same custom resources with the same
 * inputs, or every `pulumi up` from another folder (a CI runner, a colleague's laptop) would
 * show changes. The in-process mock tests keep the fine-grained assertions.
 */
import { strict as assert } from "node:assert";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { packageRoot } from "../../components/paths.js";
import { type Clone, cloneRepository } from "./host/clone.js";
import { DynamicProviderHost } from "./host/dynamic-provider.js";
import { RecordingEngine, type Registration } from "./host/engine.js";
import { type RunResult, runProgram } from "./host/language-host.js";

interface Planned {
  readonly clone: "a" | "b";
  readonly program: "stacks" | "bootstrap";
  readonly stack: string;
  readonly dryRun: boolean;
  /** ts-node type-checks, the CLI's default; the other runs set PULUMI_NODEJS_TRANSPILE_ONLY. */
  readonly typeCheck: boolean;
}

const label = (p: Planned) =>
  `${p.program === "stacks" ? "the root program" : "bootstrap/"} (${p.stack}, ${p.dryRun ? "preview" : "up"}, checkout ${p.clone})`;

// Type-checking costs most of a run (a root program run: some 20-30 s checked, 4-6 s not), and
// checking does not change what a program registers: once per program. Longest runs first.
const PLAN: Planned[] = [
  { clone: "a", program: "stacks", stack: "dev", dryRun: true, typeCheck: true },
  { clone: "a", program: "bootstrap", stack: "aws-account", dryRun: true, typeCheck: true },
  { clone: "a", program: "stacks", stack: "prod", dryRun: true, typeCheck: false },
  { clone: "a", program: "stacks", stack: "prod", dryRun: false, typeCheck: false },
  { clone: "b", program: "stacks", stack: "prod", dryRun: false, typeCheck: false },
  { clone: "a", program: "stacks", stack: "dev", dryRun: false, typeCheck: false },
  { clone: "b", program: "stacks", stack: "dev", dryRun: false, typeCheck: false },
  { clone: "a", program: "bootstrap", stack: "aws-account", dryRun: false, typeCheck: false },
  { clone: "b", program: "bootstrap", stack: "aws-account", dryRun: false, typeCheck: false },
];
// One run per core: a third run on two cores starves the checked root run, the longest of all
const PARALLEL_RUNS = Math.min(Math.max(availableParallelism(), 1), 4);

// `pulumi config set repository …` as docs/ci-cd.md has the bootstrap stack set up
const BOOTSTRAP_CONFIG = { repository: "octo-org/iris-mlops" };

async function runPlanned(p: Planned, clones: Record<string, Clone>): Promise<RunResult> {
  const root = (clones[p.clone] as Clone).dir;
  return runProgram({
    projectDir: p.program === "stacks" ? root : join(root, "bootstrap"),
    stack: p.stack,
    dryRun: p.dryRun,
    config: p.program === "bootstrap" ? BOOTSTRAP_CONFIG : {},
    env: p.typeCheck ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    limitMs: 300_000,
  });
}

/** Run the plan a few at a time; results in plan order. */
async function runAll(clones: Record<string, Clone>): Promise<RunResult[]> {
  const results: RunResult[] = new Array(PLAN.length);
  let next = 0;
  const worker = async () => {
    while (next < PLAN.length) {
      const i = next++;
      results[i] = await runPlanned(PLAN[i] as Planned, clones);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_RUNS }, worker));
  return results;
}

const describeRun = (r: RunResult) =>
  [
    `exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ""} after ${r.ms} ms`,
    ...r.engine.logs
      .filter((l) => l.severity !== "debug")
      .map((l) => `${l.severity}: ${l.message}`),
    r.stdout && `stdout: ${r.stdout}`,
    r.stderr && `stderr: ${r.stderr}`,
  ]
    .filter(Boolean)
    .join("\n");

/** What the engine would diff: each custom resource's inputs, dependencies and options by URN. */
const customResources = (r: RunResult) =>
  new Map(
    r.engine.registrations
      .filter((reg) => reg.custom)
      .map((reg: Registration) => [reg.urn, { ...reg, urn: undefined, sourcePosition: undefined }]),
  );

describe("the Pulumi programs run through Pulumi's Node.js language host", function () {
  this.timeout(900_000);
  const clones: Record<string, Clone> = {};
  let results: RunResult[] = [];
  const result = (p: Partial<Planned>) => {
    const i = PLAN.findIndex((q) =>
      Object.entries(p).every(([k, v]) => q[k as keyof Planned] === v),
    );
    const r = results[i];
    if (!r) throw new Error(`no run planned for ${JSON.stringify(p)}`);
    return r;
  };

  before(async () => {
    const root = packageRoot();
    clones.a = cloneRepository(root, "host-a");
    clones.b = cloneRepository(root, "host-b");
    const started = Date.now();
    results = await runAll(clones);
    // the cost of fidelity, for the report (not an assertion)
    console.log(
      `      host runs: ${PLAN.map((p, i) => `${label(p)} ${results[i]?.ms} ms`).join("; ")}; all ${Date.now() - started} ms`,
    );
  });
  after(() => {
    for (const clone of Object.values(clones)) clone.remove();
  });

  for (const [i, p] of PLAN.entries()) {
    it(`${label(p)} loads, runs to the end and logs no error or warning`, () => {
      const r = results[i] as RunResult;
      const problems = r.engine.logs.filter(
        (l) => l.severity === "error" || l.severity === "warning",
      );
      assert.equal(r.exitCode, 0, describeRun(r));
      assert.deepEqual(problems, [], describeRun(r));
      assert.ok(
        r.engine.registrations.some((reg) => reg.custom),
        "registers resources",
      );
    });
  }

  it("the root program's update publishes the API's URL as the stack output apiUrl", () => {
    for (const stack of ["dev", "prod"]) {
      const r = result({ clone: "a", program: "stacks", stack, dryRun: false });
      const stackUrn = r.engine.registrations.find(
        (reg) => reg.type === "pulumi:pulumi:Stack",
      )?.urn;
      const outputs = r.engine.outputs.get(stackUrn ?? "") as Record<string, unknown> | undefined;
      assert.match(String(outputs?.apiUrl), /^https:\/\/.+\.execute-api\./, describeRun(r));
    }
  });

  it("registers the live alias with its version and routing left to CodeDeploy, and a rollout per stack's config", () => {
    for (const stack of ["dev", "prod"]) {
      const r = result({ clone: "a", program: "stacks", stack, dryRun: false });
      const of = (type: string) => r.engine.registrations.filter((reg) => reg.type === type);
      const [alias, ...more] = of("aws:lambda/alias:Alias");
      assert.equal(more.length, 0);
      // what the engine diffs with: Pulumi keeps the alias's deployed version and routing
      assert.deepEqual(alias?.options.ignorechangesList, ["functionVersion", "routingConfig"]);
      assert.equal(of("pulumi-nodejs:dynamic:LambdaDeployment").length, 1, stack);
      const configs = of("aws:codedeploy/deploymentConfig:DeploymentConfig");
      assert.deepEqual(
        configs.map((c) => (c.inputs as { deploymentConfigName?: string }).deploymentConfigName),
        stack === "prod" ? ["iris-mlops-prod-api-canary-10pct-10min"] : [],
      );
    }
  });

  it("prod builds the SageMaker image and reads an ECR token; dev does neither", () => {
    const types = (stack: string) =>
      result({ clone: "a", program: "stacks", stack, dryRun: false }).engine.registrations.map(
        (reg) => reg.type,
      );
    assert.ok(types("prod").includes("docker-build:index:Image"));
    assert.ok(!types("dev").includes("docker-build:index:Image"));
    const invokes = result({
      clone: "a",
      program: "stacks",
      stack: "prod",
      dryRun: false,
    }).engine.invokes.map((call) => call.token);
    assert.ok(invokes.includes("aws:ecr/getAuthorizationToken:getAuthorizationToken"));
  });

  for (const [program, stack] of [
    ["stacks", "dev"],
    ["stacks", "prod"],
    ["bootstrap", "aws-account"],
  ] as const) {
    it(`${program} (${stack}) registers the same custom resources with the same inputs from two checkouts`, () => {
      const [a, b] = (["a", "b"] as const).map((clone) =>
        customResources(result({ clone, program, stack, dryRun: false })),
      );
      assert.ok(a && b && a.size > 0);
      assert.deepEqual([...(b as Map<string, unknown>).keys()].sort(), [...a.keys()].sort());
      for (const [urn, registration] of a) assert.deepEqual(b?.get(urn), registration, urn);
    });
  }

  describe("the instance-type guard, run by Pulumi's dynamic-provider host", () => {
    const TYPE = "pulumi-nodejs:dynamic:InstanceTypeGuard";
    let engine: RecordingEngine;
    let host: DynamicProviderHost;
    let guard: Registration;
    /** The inputs prod registers: ml.m5.large, autoscaling on, and the serialized provider. */
    let deployed: Record<string, unknown>;
    const as = (change: Record<string, unknown>) => ({ ...deployed, ...change });

    before(async () => {
      const prod = result({ clone: "a", program: "stacks", stack: "prod", dryRun: false });
      const found = prod.engine.registrations.find((reg) => reg.type === TYPE);
      if (!found) throw new Error(`prod registers no ${TYPE}`);
      guard = found;
      deployed = guard.inputs as Record<string, unknown>;
      engine = new RecordingEngine(prod.engine.run);
      await engine.start();
      host = await DynamicProviderHost.start(prod.engine.run.workingDir, engine.address);
    });
    after(async () => {
      host?.stop();
      await engine?.stop();
    });

    it("is registered with its provider serialized and prod's instance type and autoscaling", () => {
      assert.equal(typeof deployed.__provider, "string");
      assert.deepEqual(as({ __provider: undefined }), {
        instanceType: "ml.m5.large",
        autoscaling: true,
        __provider: undefined,
      });
    });

    it("the first deployment: check passes, create keeps the inputs as its state", async () => {
      const checked = await host.check(guard, {}, deployed);
      assert.deepEqual(checked, { inputs: deployed, failures: [] });
      const created = await host.create(guard, checked.inputs);
      assert.equal(created.id, "instance-type-guard");
      assert.deepEqual(created.properties, deployed);
    });

    it("an unchanged deployment: check passes, diff finds no change", async () => {
      assert.deepEqual((await host.check(guard, deployed, deployed)).failures, []);
      assert.deepEqual(await host.diff(guard, "instance-type-guard", deployed, deployed), {
        changes: "none",
        replaces: [],
      });
    });

    it("refuses a new instance type while autoscaling is registered, even if this deployment turns it off", async () => {
      for (const autoscaling of [true, false]) {
        const { failures } = await host.check(
          guard,
          deployed,
          as({ instanceType: "ml.c5.xlarge", autoscaling }),
        );
        assert.equal(failures.length, 1, host.stderr);
        assert.equal(failures[0]?.property, "instanceType");
        assert.match(
          failures[0]?.reason ?? "",
          /from ml\.m5\.large to ml\.c5\.xlarge .*autoscaling false/,
        );
      }
    });

    it("lets the two-step change through: autoscaling off, then the new type with it back on", async () => {
      let state = deployed;
      for (const next of [
        as({ autoscaling: false }),
        as({ instanceType: "ml.c5.xlarge", autoscaling: true }),
      ]) {
        const checked = await host.check(guard, state, next);
        assert.deepEqual(checked.failures, [], JSON.stringify(next));
        const diff = await host.diff(guard, "instance-type-guard", state, checked.inputs);
        assert.deepEqual(diff, { changes: "some", replaces: [] });
        state = await host.update(guard, "instance-type-guard", state, checked.inputs);
        assert.deepEqual(state, next);
      }
    });

    it("refresh reads the state back, and delete (serverless, or SageMaker off) succeeds", async () => {
      assert.deepEqual(await host.read(guard, "instance-type-guard", deployed), {
        id: "instance-type-guard",
        properties: deployed,
      });
      await host.delete(guard, "instance-type-guard", deployed);
    });

    it("refuses exactly a type change from a deployment with autoscaling registered", async () => {
      const inputs = fc.record({
        instanceType: fc.constantFrom("ml.m5.large", "ml.m5.xlarge", "ml.c5.large"),
        autoscaling: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(inputs, inputs, async (olds, news) => {
          const { failures } = await host.check(guard, as(olds), as(news));
          const refused = olds.autoscaling && olds.instanceType !== news.instanceType;
          assert.equal(failures.length, refused ? 1 : 0);
        }),
        { numRuns: 40 },
      );
    });
  });
});
