/**
 * scripts/smoke-aws.sh against fake `pulumi`, `curl` and `aws` first on PATH, which record their
 * calls: the order of the steps, the clean-up on every failure, and the exit codes. The real run
 * needs an AWS account (docs/ci-cd.md).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "smoke-aws.sh");
/** What a run leaves from `stack init` until `stack rm`: the clean-up step's cue. */
const CREATED = join(ROOT, ".pulumi-build", "smoke-t1.created");

// One stub for the three tools: logs its name and arguments, fails when the call matches
// STUB_FAIL (exit STUB_FAIL_CODE), sleeps on STUB_SLEEP, and answers like the real tool.
const STUB = `#!/usr/bin/env bash
tool="$(basename "$0")"
call="$tool $*"
echo "$call" >> "$STUB_LOG"
if [[ -n "\${STUB_SLEEP:-}" && "$call" == *"$STUB_SLEEP"* ]]; then sleep 2; fi
if [[ -n "\${STUB_FAIL:-}" && "$call" == *"$STUB_FAIL"* ]]; then echo "stub: $call failed" >&2; exit "\${STUB_FAIL_CODE:-7}"; fi
case "$call" in
  "pulumi stack output apiUrl"*) echo "https://api.example.test" ;;
  "pulumi stack output endpointName"*) echo "iris-mlops-smoke-endpoint" ;;
  curl*/health) echo '{"status":"ok","model_version":"m1"}' ;;
  curl*/predict) echo "\${STUB_PREDICTION:-{\\"species\\":\\"setosa\\",\\"is_iris\\":true}}" ;;
  "aws sagemaker-runtime invoke-endpoint"*) echo '{"species":"setosa"}' > "\${@: -1}"; echo '{"ContentType":"application/json"}' ;;
esac
`;

interface Run {
  code: number | null;
  calls: string[];
  stderr: string;
}

interface Options {
  /** Arguments of the script (`cleanup`). */
  readonly args?: string[];
  /** A signal to send after `afterMs`: SIGKILL to the whole tree, as the runner ends a step. */
  readonly signal?: NodeJS.Signals;
  readonly afterMs?: number;
}

async function smoke(env: Record<string, string>, options: Options = {}): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "smoke-stubs-"));
  try {
    const stub = join(dir, "stub");
    await writeFile(stub, STUB);
    await chmod(stub, 0o755);
    for (const tool of ["pulumi", "curl", "aws"]) await symlink(stub, join(dir, tool));
    const log = join(dir, "calls.log");
    await writeFile(log, "");
    const child = spawn("bash", [SCRIPT, ...(options.args ?? [])], {
      detached: true,
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        HOME: dir,
        STUB_LOG: log,
        AWS_REGION: "eu-west-1",
        SMOKE_STACK: "smoke-t1",
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const { signal, afterMs } = options;
    if (signal !== undefined) {
      setTimeout(() => {
        if (signal === "SIGKILL") process.kill(-(child.pid as number), signal);
        else child.kill(signal);
      }, afterMs ?? 0);
    }
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(killer);
    const calls = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    return { code, calls, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The calls reduced to their command words (`pulumi up`, `curl /health`), in order. */
const steps = (calls: string[]) =>
  calls.map((c) => {
    const words = c.split(" ");
    if (words[0] === "curl") return `curl ${new URL(words.at(-1) as string).pathname}`;
    if (words[0] === "aws") return `aws ${words[2]}`;
    if (words[1] === "config") return "pulumi config set";
    const end = words.findIndex((w) => w.startsWith("-"));
    return words.slice(0, end === -1 ? undefined : Math.min(end, 3)).join(" ");
  });

const dedupe = (xs: string[]) => xs.filter((x, i) => x !== xs[i - 1]);

const CLEANUP = ["pulumi destroy", "pulumi stack rm"];

describe("npm run smoke:aws (scripts/smoke-aws.sh, against stub tools)", () => {
  afterEach(() => rm(CREATED, { force: true }));

  it("creates, deploys, calls, re-previews, destroys and removes, in that order; exit 0", async () => {
    const run = await smoke({ PULUMI_ORG: "acme" });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(dedupe(steps(run.calls)), [
      "pulumi stack init",
      "pulumi config set",
      "pulumi up",
      "pulumi stack output",
      "curl /health",
      "curl /predict",
      "pulumi preview",
      ...CLEANUP,
    ]);
    assert.equal(run.calls[0], "pulumi stack init acme/iris-mlops/smoke-t1 --non-interactive");
    assert.ok(
      run.calls.includes(
        "pulumi preview --expect-no-changes --stack acme/iris-mlops/smoke-t1 --non-interactive",
      ),
    );
    assert.ok(
      run.calls.some((c) =>
        c.startsWith("pulumi config set --path iris-mlops:bucket.forceDestroy true"),
      ),
    );
    // every step is printed before it runs
    for (const call of run.calls) assert.ok(run.stderr.includes(`+ ${call}`), call);
    assert.match(run.stderr, /smoke: passed \(acme\/iris-mlops\/smoke-t1\)/);
    assert.ok(!existsSync(CREATED), "a removed stack leaves no clean-up behind");
  });

  it("invokes the SageMaker endpoint when asked to deploy one", async () => {
    const run = await smoke({ SMOKE_SAGEMAKER: "serverless" });
    assert.equal(run.code, 0, run.stderr);
    const s = dedupe(steps(run.calls));
    assert.ok(s.indexOf("aws invoke-endpoint") > s.indexOf("curl /predict"), s.join(", "));
    assert.ok(s.indexOf("aws invoke-endpoint") < s.indexOf("pulumi preview"), s.join(", "));
    assert.ok(
      run.calls.includes(
        `pulumi config set --path iris-mlops:sagemaker.mode serverless --stack smoke-t1 --non-interactive`,
      ),
    );
  });

  for (const [what, env] of [
    ["pulumi up fails", { STUB_FAIL: "pulumi up" }],
    ["/health fails", { STUB_FAIL: "/health" }],
    ["the preview shows changes", { STUB_FAIL: "pulumi preview" }],
  ] as const) {
    it(`when ${what}: still destroys and removes the stack, and exits with the failure's code`, async () => {
      const run = await smoke({ ...env, STUB_FAIL_CODE: "7" });
      assert.equal(run.code, 7, run.stderr);
      assert.deepEqual(dedupe(steps(run.calls)).slice(-2), CLEANUP);
      assert.match(run.stderr, /smoke: FAILED \(7\)/);
    });
  }

  it("a wrong prediction fails the run, and the stack still goes", async () => {
    const run = await smoke({ STUB_PREDICTION: '{"species":"virginica"}' });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /POST \/predict answered .*virginica.*expected it to contain '"species":"setosa"'/,
    );
    assert.deepEqual(dedupe(steps(run.calls)).slice(-2), CLEANUP);
    assert.ok(!steps(run.calls).includes("pulumi preview"));
  });

  it("keeps the stack when destroy fails, so its state still knows what to delete", async () => {
    const run = await smoke({ STUB_FAIL: "pulumi destroy" });
    assert.equal(run.code, 1);
    assert.equal(dedupe(steps(run.calls)).at(-1), "pulumi destroy");
    assert.match(run.stderr, /destroy failed; smoke-t1 is kept/);
    assert.equal(await readFile(CREATED, "utf8"), "smoke-t1\n", "the clean-up step tries again");
  });

  it("touches no stack it did not create: a failed init destroys nothing", async () => {
    const run = await smoke({ STUB_FAIL: "pulumi stack init" });
    assert.equal(run.code, 7);
    assert.deepEqual(run.calls, ["pulumi stack init smoke-t1 --non-interactive"]);
  });

  it("refuses names it must not destroy and bad settings, before calling anything", async () => {
    for (const env of <Record<string, string>[]>[
      { SMOKE_STACK: "prod" },
      { SMOKE_STACK: "smoke-with-a-name-too-long" },
      { SMOKE_SAGEMAKER: "instances" },
      { AWS_REGION: "" },
    ]) {
      const run = await smoke(env);
      assert.equal(run.code, 2, JSON.stringify(env));
      assert.deepEqual(run.calls, [], JSON.stringify(env));
    }
  });

  it("defaults to a fresh smoke-<8 hex> stack, well under SageMaker's name limit", async () => {
    const run = await smoke({ SMOKE_STACK: "" });
    assert.equal(run.code, 0, run.stderr);
    const [init] = run.calls;
    assert.match(init as string, /^pulumi stack init smoke-[0-9a-f]{8} /);
  });

  it("on SIGTERM during `pulumi up`, destroys and removes the stack, exit 143", async () => {
    const run = await smoke({ STUB_SLEEP: "pulumi up" }, { signal: "SIGTERM", afterMs: 1_000 });
    assert.equal(run.code, 143, run.stderr);
    assert.deepEqual(dedupe(steps(run.calls)).slice(-2), CLEANUP);
  });

  it("killed outright mid-deploy (a cancelled step's end), `cleanup` cancels, destroys and removes", async () => {
    const killed = await smoke(
      { PULUMI_ORG: "acme", STUB_SLEEP: "pulumi up" },
      { signal: "SIGKILL", afterMs: 1_000 },
    );
    assert.equal(killed.code, null);
    assert.ok(!dedupe(steps(killed.calls)).includes("pulumi destroy"), "no exit trap ran");
    assert.equal(await readFile(CREATED, "utf8"), "acme/iris-mlops/smoke-t1\n");

    // the clean-up step of smoke-aws.yml, with the run's SMOKE_STACK and no region
    const cleanup = await smoke({ PULUMI_ORG: "acme", AWS_REGION: "" }, { args: ["cleanup"] });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.deepEqual(cleanup.calls, [
      "pulumi cancel --yes --stack acme/iris-mlops/smoke-t1 --non-interactive",
      "pulumi destroy --yes --stack acme/iris-mlops/smoke-t1 --non-interactive",
      "pulumi stack rm --yes --stack acme/iris-mlops/smoke-t1 --non-interactive",
    ]);
    assert.match(cleanup.stderr, /smoke: cleaned up \(acme\/iris-mlops\/smoke-t1\)/);
    assert.ok(!existsSync(CREATED));
  });

  it("`cleanup` after a run that removed its stack, or never made one, touches nothing", async () => {
    const passed = await smoke({});
    assert.equal(passed.code, 0, passed.stderr);
    const cleanup = await smoke({}, { args: ["cleanup"] });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.deepEqual(cleanup.calls, []);
    assert.match(cleanup.stderr, /nothing to clean up/);
    const failedInit = await smoke({ STUB_FAIL: "pulumi stack init" });
    assert.equal(failedInit.code, 7);
    assert.deepEqual((await smoke({}, { args: ["cleanup"] })).calls, []);
  });

  it("`cleanup` needs the run's stack name, and a failed destroy keeps its cue for the next try", async () => {
    const unnamed = await smoke({ SMOKE_STACK: "" }, { args: ["cleanup"] });
    assert.equal(unnamed.code, 2);
    assert.deepEqual(unnamed.calls, []);
    await writeFile(CREATED, "smoke-t1\n");
    const failed = await smoke({ STUB_FAIL: "pulumi destroy" }, { args: ["cleanup"] });
    assert.equal(failed.code, 1);
    assert.ok(existsSync(CREATED));
  });
});
