/**
 * The serving benchmark (`npm run bench:serve`), everything measured in one run:
 *
 * 1. HTTP, one row per request: POST /invocations with the JSON body
 *    {"instances":[[5.1,3.5,1.4,0.2]]}, 50 connections, interleaved rounds (ours, ceiling,
 *    Flask, ours, ceiling, Flask, …), medians of rounds, against
 *      ours     `node dist/cli/main.js serve` (the compiled CLI, as users start it)
 *      bare     the same with `--no-metrics`: what the Prometheus metrics cost per request
 *      ceiling  a bare node:http server that reads the body and answers fixed JSON
 *      flask    the seed's stack: Flask + scikit-learn RandomForestClassifier(100), gunicorn -w 2
 * 2. The Lambda handler as deployed (esbuild bundle): cold starts in fresh node processes against
 *    a loopback S3 (s3rver), taking turns with the baseline's (bench/lib/baseline.ts: the bundle
 *    and model of the commit before issue 13's cold-start work), warm in-process invocations,
 *    bundle size.
 * 3. A soak of our server with a mix of good and bad requests: no 5xx, no socket errors, RSS.
 *
 * Servers listen on 127.0.0.1 only. With two or more CPUs every server runs on one core and the
 * load generator (and this script) on another. Every process started is stopped by PID at the
 * end, also on failure or Ctrl-C.
 *
 * Settings (environment): BENCH_ROUNDS (5), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (5),
 * BENCH_CONNECTIONS (50), SOAK_SECONDS (60), LAMBDA_COLD_RUNS (15), LAMBDA_WARM_INVOCATIONS
 * (20000), BENCH_SKIP_FLASK=1, BENCH_LOADGEN=autocannon (force the fallback),
 * BENCH_OUT (bench/results/serve.json), BENCH_BASELINE_REF (the baseline commit, 3f331f5).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { sha256 } from "../core/artifact.js";
import { prepareBaseline } from "./lib/baseline.js";
import {
  bundleLambda,
  type ColdRun,
  coldRun,
  LAMBDA_BUNDLE,
  lambdaEnv,
  startLoopbackS3,
  warmRuns,
} from "./lib/lambda.js";
import {
  type HttpRequestSpec,
  type LoadOptions,
  type LoadResult,
  runAutocannon,
  runWrk,
  statusClasses,
} from "./lib/loadgen.js";
import {
  groupCpuSeconds,
  killAllSync,
  leftovers,
  rssKb,
  run,
  type Started,
  splitArgv,
  start,
  stop,
  stopAll,
} from "./lib/processes.js";
import { ROW_BODY, ROW_REQUEST, SOAK_REQUESTS } from "./lib/requests.js";
import { median } from "./lib/stats.js";

const ROOT = resolve(__dirname, "..");
process.chdir(ROOT);

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const CONFIG = {
  rounds: envNumber("BENCH_ROUNDS", 5),
  roundSeconds: envNumber("BENCH_SECONDS", 10),
  warmupSeconds: envNumber("BENCH_WARMUP_SECONDS", 5),
  connections: envNumber("BENCH_CONNECTIONS", 50),
  soakSeconds: envNumber("SOAK_SECONDS", 60),
  coldRuns: envNumber("LAMBDA_COLD_RUNS", 15),
  warmInvocations: envNumber("LAMBDA_WARM_INVOCATIONS", 20_000),
  warmProcesses: 3,
  warmWarmup: 2_000,
  skipFlask: process.env.BENCH_SKIP_FLASK === "1",
  out: process.env.BENCH_OUT ?? "bench/results/serve.json",
};

const TARGETS = {
  oursOverCeiling: 0.85,
  p99Ms: 3,
  oursOverFlask: 50,
  lambdaWarmUs: 50,
  // issue 13 (#13.6); was 150
  lambdaColdInitMs: 80,
  bundleBytes: 1_000_000,
};

const log = (line: string) => process.stderr.write(`[bench:serve] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// the machine and the tools

function commandExists(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;

/** apt-get install, when root; returns whether it worked. */
async function aptInstall(packages: string[]): Promise<boolean> {
  if (!isRoot || !commandExists("apt-get")) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  log(`installing ${packages.join(" ")} with apt-get`);
  try {
    await run("apt-get", ["install", "-y", "-qq", ...packages], { env });
    return true;
  } catch {
    try {
      await run("apt-get", ["update", "-qq"], { env });
      await run("apt-get", ["install", "-y", "-qq", ...packages], { env });
      return true;
    } catch (error) {
      log(`apt-get failed: ${(error as Error).message.slice(0, 300)}`);
      return false;
    }
  }
}

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-sklearn lives
const GUNICORN = "/usr/bin/gunicorn";

function seedStackPresent(): boolean {
  if (!existsSync(PYTHON) || !existsSync(GUNICORN)) return false;
  try {
    execFileSync(PYTHON, ["-c", "import sklearn, flask, joblib"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function loadGenerator(): Promise<{
  name: "wrk" | "autocannon";
  version: string;
  run: (o: LoadOptions) => Promise<LoadResult>;
}> {
  if (process.env.BENCH_LOADGEN !== "autocannon") {
    if (commandExists("wrk") || (await aptInstall(["wrk"]))) {
      let version = "wrk";
      try {
        execFileSync("wrk", ["--version"], { encoding: "utf8" });
      } catch (error) {
        // wrk --version exits 1 after printing its version
        version = String((error as { stdout?: string }).stdout ?? "wrk").split("\n")[0] ?? "wrk";
      }
      return { name: "wrk", version: version.trim(), run: runWrk };
    }
    log("wrk is not available: falling back to autocannon (whole-millisecond latencies)");
  }
  return { name: "autocannon", version: "autocannon@8 (npx)", run: runAutocannon };
}

/** CPUs this process may run on, from taskset (affinity), else every CPU. */
function allowedCpus(): number[] {
  try {
    const out = execFileSync("taskset", ["-pc", String(process.pid)], { encoding: "utf8" });
    const list = out.split(":").pop()?.trim() ?? "";
    return list.split(",").flatMap((part) => {
      const [a, b] = part.split("-").map(Number) as [number, number | undefined];
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  } catch {
    return cpus().map((_, i) => i);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitReady(server: Started, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(
        `${server.name} exited before it was ready:\n${readFileSync(server.log, "utf8").slice(-2000)}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${server.name} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function send(
  base: string,
  spec: HttpRequestSpec,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}${spec.path}`, {
    method: spec.method,
    headers: spec.headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------
// results

/** A round: the load generator's result and the server's CPU time per request. */
type Round = LoadResult & { serverCpuUsPerRequest: number };

interface Summary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerRequest: number;
}

function summarise(rounds: Round[]): Summary {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    serverCpuUsPerRequest: median(rounds.map((r) => r.serverCpuUsPerRequest)),
  };
}

/** The median over rounds of f(a)/f(b), each round's a paired with the same round's b. */
function pairedRatio(a: Round[], b: Round[], f: (r: Round) => number = (r) => r.rps): number {
  return median(a.map((r, i) => f(r) / (b[i] ? f(b[i]) : Number.NaN)));
}

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";

function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

// ---------------------------------------------------------------------------------------------

/** The run's temporary folder, removed at the end (also after a signal). */
let workDir: string | undefined;

async function main(): Promise<number> {
  const startedAt = new Date();
  const problems: string[] = [];
  const notes: string[] = [];

  const cpuList = allowedCpus();
  const pinned = cpuList.length >= 2 && commandExists("taskset");
  const serverCpu = cpuList[0] ?? 0;
  const loadCpu = cpuList[1] ?? 0;
  const pinServer = pinned ? ["taskset", "-c", String(serverCpu)] : [];
  const pinLoad = pinned ? ["taskset", "-c", String(loadCpu)] : [];
  if (pinned) {
    // this script (the S3 server of the Lambda part, the bookkeeping) stays off the servers' core
    execFileSync("taskset", ["-pc", String(loadCpu), String(process.pid)], { stdio: "ignore" });
    notes.push(
      `servers pinned to CPU ${serverCpu}; load generator, this script and s3rver to CPU ${loadCpu}`,
    );
  } else {
    notes.push("no CPU pinning (fewer than 2 CPUs allowed or no taskset): numbers share cores");
  }

  if (!existsSync("dist/cli/main.js"))
    throw new Error("dist/cli/main.js is missing: run `npm run build` (npm run bench:serve does)");

  const loadgen = await loadGenerator();
  log(`load generator: ${loadgen.version}`);

  let flask = !CONFIG.skipFlask;
  let flaskNote = "";
  if (CONFIG.skipFlask) flaskNote = "skipped: BENCH_SKIP_FLASK=1";
  else if (!seedStackPresent()) {
    if (
      !(await aptInstall(["python3-sklearn", "python3-flask", "gunicorn"])) ||
      !seedStackPresent()
    ) {
      flask = false;
      flaskNote = isRoot
        ? "skipped: python3-sklearn, python3-flask and gunicorn could not be installed with apt-get"
        : "skipped: not root, so python3-sklearn, python3-flask and gunicorn were not installed";
    }
  }
  if (flaskNote) notes.push(`Flask row ${flaskNote}`);

  const work = mkdtempSync(join(tmpdir(), "iris-bench-serve-"));
  workDir = work;
  try {
    // --- models -------------------------------------------------------------------------
    log("training the model with the compiled CLI (default options)");
    await run("node", ["dist/cli/main.js", "train", "--out", join(work, "model"), "--json"]);
    const tarball = join(work, "model", "model.tar.gz");
    const modelBytes = readFileSync(tarball);
    const joblib = join(work, "model.joblib");
    if (flask) {
      log("training the seed's scikit-learn forest");
      await run(PYTHON, ["bench/seed-flask/train.py", joblib]);
    }

    // --- HTTP ---------------------------------------------------------------------------
    const contenders: {
      id: "ours" | "bare" | "ceiling" | "flask";
      label: string;
      command: string[];
      server: Started;
      base: string;
      rounds: Round[];
    }[] = [];

    const oursPort = await freePort();
    const oursCommand = [
      "node",
      "dist/cli/main.js",
      "serve",
      "--model",
      tarball,
      "--port",
      String(oursPort),
      "--host",
      "127.0.0.1",
    ];
    const ours = start("ours", ...splitArgv([...pinServer, ...oursCommand]), {
      log: join(work, "ours.log"),
    });
    const oursBase = `http://127.0.0.1:${oursPort}`;
    await waitReady(ours, `${oursBase}/ping`);
    const answer = await send(oursBase, ROW_REQUEST);
    if (answer.status !== 200)
      throw new Error(`our server answered ${answer.status}: ${answer.body}`);
    contenders.push({
      id: "ours",
      label: "ours: node dist/cli/main.js serve (node:http)",
      command: oursCommand,
      server: ours,
      base: oursBase,
      rounds: [],
    });

    // the same server without Prometheus metrics, in the same rounds: what counting costs
    const barePort = await freePort();
    const bareCommand = [
      ...oursCommand.map((a) => (a === String(oursPort) ? String(barePort) : a)),
      "--no-metrics",
    ];
    const bare = start("bare", ...splitArgv([...pinServer, ...bareCommand]), {
      log: join(work, "bare.log"),
    });
    const bareBase = `http://127.0.0.1:${barePort}`;
    await waitReady(bare, `${bareBase}/ping`);
    contenders.push({
      id: "bare",
      label: "ours without metrics: serve --no-metrics",
      command: bareCommand,
      server: bare,
      base: bareBase,
      rounds: [],
    });

    // the ceiling answers exactly the bytes our server answers
    const answerFile = join(work, "answer.json");
    writeFileSync(answerFile, answer.body);
    const ceilingPort = await freePort();
    const ceilingCommand = ["node", "bench/servers/ceiling.mjs", String(ceilingPort), answerFile];
    const ceiling = start("ceiling", ...splitArgv([...pinServer, ...ceilingCommand]), {
      log: join(work, "ceiling.log"),
    });
    const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
    await waitReady(ceiling, `${ceilingBase}/ping`);
    contenders.push({
      id: "ceiling",
      label: "ceiling: bare node:http, fixed JSON",
      command: ceilingCommand,
      server: ceiling,
      base: ceilingBase,
      rounds: [],
    });

    if (flask) {
      const flaskPort = await freePort();
      const flaskCommand = [
        GUNICORN,
        "-w",
        "2",
        "-b",
        `127.0.0.1:${flaskPort}`,
        "--chdir",
        "bench/seed-flask",
        "app:app",
      ];
      const seed = start("flask", ...splitArgv([...pinServer, ...flaskCommand]), {
        log: join(work, "flask.log"),
        env: { ...process.env, MODEL_PATH: joblib },
      });
      const flaskBase = `http://127.0.0.1:${flaskPort}`;
      await waitReady(seed, `${flaskBase}/ping`);
      contenders.push({
        id: "flask",
        label: "seed: Flask + scikit-learn, gunicorn -w 2",
        command: flaskCommand,
        server: seed,
        base: flaskBase,
        rounds: [],
      });
    }

    for (const c of contenders) {
      const check = await send(c.base, ROW_REQUEST);
      if (check.status !== 200) throw new Error(`${c.id} answered ${check.status}: ${check.body}`);
    }

    const load = async (server: Started, base: string, seconds: number): Promise<Round> => {
      const cpuBefore = groupCpuSeconds(server.pid);
      const result = await loadgen.run({
        url: base,
        requests: [ROW_REQUEST],
        seconds,
        connections: CONFIG.connections,
        pin: pinLoad,
        workDir: work,
      });
      const cpu = groupCpuSeconds(server.pid) - cpuBefore;
      return { ...result, serverCpuUsPerRequest: (cpu * 1e6) / result.requests };
    };

    for (const c of contenders) {
      log(`warm-up ${c.id} (${CONFIG.warmupSeconds} s)`);
      await load(c.server, c.base, CONFIG.warmupSeconds);
    }
    for (let round = 1; round <= CONFIG.rounds; round++) {
      for (const c of contenders) {
        const result = await load(c.server, c.base, CONFIG.roundSeconds);
        c.rounds.push(result);
        log(
          `round ${round}/${CONFIG.rounds} ${c.id.padEnd(7)} ${fmt(result.rps)} req/s, p50 ${fmt(result.p50Ms, 2)} ms, p99 ${fmt(result.p99Ms, 2)} ms, server CPU ${fmt(result.serverCpuUsPerRequest, 1)} µs/req`,
        );
        const socket = Object.values(result.socketErrors).reduce((a, b) => a + b, 0);
        if (result.errorStatuses > 0 || socket > 0)
          problems.push(
            `${c.id} round ${round}: ${result.errorStatuses} error statuses, socket errors ${JSON.stringify(result.socketErrors)}`,
          );
      }
    }
    const oursRssAfterRoundsKb = rssKb(ours.pid);
    for (const c of contenders) await stop(c.server);

    const byId = (id: string) => contenders.find((c) => c.id === id);
    const oursRounds = byId("ours")?.rounds ?? [];
    const bareRounds = byId("bare")?.rounds ?? [];
    const ceilingRounds = byId("ceiling")?.rounds ?? [];
    const flaskRounds = byId("flask")?.rounds;
    const oursSummary = summarise(oursRounds);
    const cpuPerRequest = (r: Round) => 1 / r.serverCpuUsPerRequest;
    const ratios = {
      oursOverCeiling: pairedRatio(oursRounds, ceilingRounds),
      oursOverFlask: flaskRounds ? pairedRatio(oursRounds, flaskRounds) : Number.NaN,
      /** requests per server-CPU-second, ours / ceiling: less sensitive to a busy machine */
      oursOverCeilingByCpu: pairedRatio(oursRounds, ceilingRounds, cpuPerRequest),
      oursOverFlaskByCpu: flaskRounds
        ? pairedRatio(oursRounds, flaskRounds, cpuPerRequest)
        : Number.NaN,
      /** with metrics / without, req/s and requests per server-CPU-second (paired rounds) */
      metricsOverBare: pairedRatio(oursRounds, bareRounds),
      metricsOverBareByCpu: pairedRatio(oursRounds, bareRounds, cpuPerRequest),
      /** server CPU µs a request spent on metrics: median of the rounds' differences */
      metricsCpuUsPerRequest: median(
        oursRounds.map(
          (r, i) => r.serverCpuUsPerRequest - (bareRounds[i]?.serverCpuUsPerRequest ?? Number.NaN),
        ),
      ),
    };

    // --- soak ---------------------------------------------------------------------------
    log(`soak: ${CONFIG.soakSeconds} s, ${SOAK_REQUESTS.length} kinds of request`);
    const soakPort = await freePort();
    const soakCommand = oursCommand.map((a) => (a === String(oursPort) ? String(soakPort) : a));
    const soakServer = start("ours (soak)", ...splitArgv([...pinServer, ...soakCommand]), {
      log: join(work, "soak.log"),
    });
    const soakBase = `http://127.0.0.1:${soakPort}`;
    await waitReady(soakServer, `${soakBase}/ping`);
    const mixCheck: { name: string; expect: number | undefined; got: number }[] = [];
    for (const spec of SOAK_REQUESTS) {
      const { status, body } = await send(soakBase, spec);
      mixCheck.push({ name: spec.name, expect: spec.expect, got: status });
      if (status !== spec.expect)
        problems.push(
          `soak request "${spec.name}": expected ${spec.expect}, got ${status}: ${body.slice(0, 200)}`,
        );
    }
    const rssBeforeKb = rssKb(soakServer.pid);
    const soak = await loadgen.run({
      url: soakBase,
      requests: SOAK_REQUESTS,
      seconds: CONFIG.soakSeconds,
      connections: CONFIG.connections,
      countStatuses: true,
      pin: pinLoad,
      workDir: work,
    });
    const rssAfterKb = rssKb(soakServer.pid);
    const hwmKb = Number(
      /^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${soakServer.pid}/status`, "utf8"))?.[1],
    );
    const stillUp = await send(soakBase, ROW_REQUEST).then(
      (r) => r.status === 200,
      () => false,
    );
    await stop(soakServer);
    const classes = statusClasses(soak.statuses ?? {});
    const socketErrors = Object.values(soak.socketErrors).reduce((a, b) => a + b, 0);
    const fiveXx = classes["5xx"] ?? 0;
    if (fiveXx > 0) problems.push(`soak: ${fiveXx} responses with 5xx`);
    if (socketErrors > 0) problems.push(`soak: socket errors ${JSON.stringify(soak.socketErrors)}`);
    if (!stillUp) problems.push("soak: the server did not answer after the soak");

    // --- Lambda -------------------------------------------------------------------------
    log("bundling handlers/lambda.ts with esbuild");
    const bundleDir = join(work, "lambda");
    mkdirSync(bundleDir);
    const bundle = await bundleLambda(bundleDir);
    log(
      `baseline Lambda: ${process.env.BENCH_BASELINE_REF || "3f331f5"} from git, bundled and trained`,
    );
    const baseline = prepareBaseline(join(work, "baseline"));
    const s3 = await startLoopbackS3(join(work, "s3"), modelBytes);
    const baselineS3 = await startLoopbackS3(join(work, "s3-baseline"), baseline.model);
    const cold: ColdRun[] = [];
    const baselineCold: ColdRun[] = [];
    let warm: Awaited<ReturnType<typeof warmRuns>>;
    try {
      const env = lambdaEnv(s3, sha256(modelBytes));
      const baselineEnv = lambdaEnv(baselineS3, sha256(baseline.model));
      const resultFile = join(work, "lambda-result.json");
      log(`Lambda cold starts: ${CONFIG.coldRuns} fresh node processes each, taking turns`);
      for (let i = 0; i < CONFIG.coldRuns; i++) {
        baselineCold.push(await coldRun(baseline.bundleFile, baselineEnv, resultFile, pinServer));
        cold.push(await coldRun(bundle.file, env, resultFile, pinServer));
      }
      log(`Lambda warm: ${CONFIG.warmProcesses} × ${CONFIG.warmInvocations} invocations`);
      warm = await warmRuns(bundle.file, env, resultFile, pinServer, {
        processes: CONFIG.warmProcesses,
        warmup: CONFIG.warmWarmup,
        invocations: CONFIG.warmInvocations,
      });
    } finally {
      await Promise.all([s3.close(), baselineS3.close()]);
    }
    const summariseCold = (runs: ColdRun[]) => {
      const coldMedian = (f: (r: ColdRun) => number) => median(runs.map(f));
      return {
        spawnToResponseMs: coldMedian((r) => r.spawnToResponseMs),
        nodeStartToResponseMs: coldMedian((r) => r.nodeStartToResponseMs),
        requireMs: coldMedian((r) => r.requireMs),
        firstInvocationMs: coldMedian((r) => r.firstInvocationMs),
        inProcessMs: coldMedian((r) => r.inProcessMs),
      };
    };
    const coldSummary = summariseCold(cold);
    const baselineSummary = summariseCold(baselineCold);

    // --- report -------------------------------------------------------------------------
    const targets = {
      oursOverCeiling: { target: `>= ${TARGETS.oursOverCeiling}`, value: ratios.oursOverCeiling },
      p99Ms: { target: `<= ${TARGETS.p99Ms}`, value: oursSummary.p99Ms },
      oursOverFlask: { target: `>= ${TARGETS.oursOverFlask}`, value: ratios.oursOverFlask },
      lambdaWarmUs: { target: `<= ${TARGETS.lambdaWarmUs}`, value: warm.medianUs },
      lambdaColdInitMs: {
        target: `<= ${TARGETS.lambdaColdInitMs}`,
        value: coldSummary.inProcessMs,
      },
      bundleBytes: { target: `<= ${TARGETS.bundleBytes}`, value: bundle.bytes },
    };
    const met = {
      oursOverCeiling: ratios.oursOverCeiling >= TARGETS.oursOverCeiling,
      p99Ms: oursSummary.p99Ms <= TARGETS.p99Ms,
      oursOverFlask: flaskRounds ? ratios.oursOverFlask >= TARGETS.oursOverFlask : null,
      lambdaWarmUs: warm.medianUs <= TARGETS.lambdaWarmUs,
      lambdaColdInitMs: coldSummary.inProcessMs <= TARGETS.lambdaColdInitMs,
      bundleBytes: bundle.bytes <= TARGETS.bundleBytes,
    };

    const result = {
      benchmark: "serve",
      date: startedAt.toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        kernel: release(),
        node: process.version,
        loadGenerator: loadgen.version,
        note: "2 vCPU shared machine; other engineers' builds and tests may run at the same time",
      },
      config: { ...CONFIG, pinning: pinned ? { server: serverCpu, load: loadCpu } : null },
      notes,
      http: {
        request: {
          method: "POST",
          path: "/invocations",
          contentType: "application/json",
          body: ROW_BODY,
        },
        contenders: Object.fromEntries(
          contenders.map((c) => [
            c.id,
            {
              label: c.label,
              command: c.command.join(" ").replaceAll(work, "$TMP"),
              median: summarise(c.rounds),
              rounds: c.rounds,
            },
          ]),
        ),
        flask: flask ? "measured" : flaskNote,
        ratios,
        oursRssAfterRoundsKb,
      },
      lambda: {
        bundle: {
          options: LAMBDA_BUNDLE,
          bytes: bundle.bytes,
          gzipBytes: bundle.gzipBytes,
          mapBytes: bundle.mapBytes,
          largestPackages: bundle.largestPackages,
        },
        cold: { runs: cold.length, median: coldSummary, all: cold },
        baseline: {
          ref: baseline.ref,
          bundleBytes: baseline.bundleBytes,
          cold: { runs: baselineCold.length, median: baselineSummary, all: baselineCold },
          inProcessRatio: coldSummary.inProcessMs / baselineSummary.inProcessMs,
        },
        warm,
      },
      soak: {
        seconds: CONFIG.soakSeconds,
        connections: CONFIG.connections,
        requestKinds: mixCheck,
        requests: soak.requests,
        rps: soak.rps,
        statuses: soak.statuses,
        statusClasses: classes,
        socketErrors: soak.socketErrors,
        rssBeforeKb,
        rssAfterKb,
        peakRssKb: hwmKb,
        answeredAfterSoak: stillUp,
      },
      targets: Object.fromEntries(
        Object.entries(targets).map(([k, v]) => [k, { ...v, met: met[k as keyof typeof met] }]),
      ),
      problems,
    };
    mkdirSync(dirname(CONFIG.out), { recursive: true });
    writeFileSync(CONFIG.out, `${JSON.stringify(result, null, 2)}\n`);

    // the table
    const httpRows = contenders.map((c) => {
      const s = summarise(c.rounds);
      return [
        c.label,
        fmt(s.rps),
        fmt(s.p50Ms, 2),
        fmt(s.p99Ms, 2),
        fmt(s.serverCpuUsPerRequest, 1),
      ];
    });
    if (!flask) httpRows.push(["seed: Flask + scikit-learn", flaskNote, "", "", ""]);
    const out = [
      "",
      `Serving benchmark, ${startedAt.toISOString()} — ${cpus().length} vCPU (${cpus()[0]?.model ?? "?"}), node ${process.version}, ${loadgen.version}`,
      `HTTP: POST /invocations ${ROW_BODY} (application/json), ${CONFIG.connections} connections, ` +
        `medians of ${CONFIG.rounds} interleaved rounds × ${CONFIG.roundSeconds} s after ${CONFIG.warmupSeconds} s warm-up each`,
      ...notes.map((n) => `note: ${n}`),
      "",
      table(["server", "req/s", "p50 ms", "p99 ms", "server CPU µs/req"], httpRows),
      "",
      table(
        ["measure", "value", "target", ""],
        [
          [
            "ours / ceiling (req/s, paired rounds)",
            fmt(ratios.oursOverCeiling, 3),
            `≥ ${TARGETS.oursOverCeiling}`,
            verdict(met.oursOverCeiling),
          ],
          [
            "ours / ceiling (requests per server CPU-second, paired rounds)",
            fmt(ratios.oursOverCeilingByCpu, 3),
            "",
            "steadier on a busy machine",
          ],
          [
            "metrics: with / without (req/s; requests per server CPU-second), paired rounds",
            `${fmt(ratios.metricsOverBare, 3)}; ${fmt(ratios.metricsOverBareByCpu, 3)}`,
            "",
            "",
          ],
          [
            "metrics: server CPU per request (median of paired differences)",
            `${fmt(ratios.metricsCpuUsPerRequest, 2)} µs`,
            "",
            "",
          ],
          [
            "ours p99",
            `${fmt(oursSummary.p99Ms, 2)} ms`,
            `≤ ${TARGETS.p99Ms} ms`,
            verdict(met.p99Ms),
          ],
          [
            "ours / Flask (req/s, paired rounds)",
            flaskRounds ? `${fmt(ratios.oursOverFlask, 1)}×` : "n/a",
            `≥ ${TARGETS.oursOverFlask}×`,
            met.oursOverFlask === null ? "skipped" : verdict(met.oursOverFlask),
          ],
          [
            "ours / Flask (requests per server CPU-second, paired rounds)",
            flaskRounds ? `${fmt(ratios.oursOverFlaskByCpu, 1)}×` : "n/a",
            "",
            "",
          ],
          [
            "Lambda warm invocation (median)",
            `${fmt(warm.medianUs, 1)} µs`,
            `≤ ${TARGETS.lambdaWarmUs} µs`,
            verdict(met.lambdaWarmUs),
          ],
          ["Lambda warm invocation p99", `${fmt(warm.p99Us, 1)} µs`, "", ""],
          [
            "Lambda cold init, in process (require + 1st invocation)",
            `${fmt(coldSummary.inProcessMs, 1)} ms`,
            `≤ ${TARGETS.lambdaColdInitMs} ms`,
            verdict(met.lambdaColdInitMs),
          ],
          [
            `  baseline (${baseline.ref}), same run`,
            `${fmt(baselineSummary.inProcessMs, 1)} ms`,
            `now ${fmt(coldSummary.inProcessMs / baselineSummary.inProcessMs, 2)}× of it`,
            "",
          ],
          [
            "  of which require (module load): now / baseline",
            `${fmt(coldSummary.requireMs, 1)} / ${fmt(baselineSummary.requireMs, 1)} ms`,
            "",
            "",
          ],
          [
            "  of which 1st invocation (S3 fetch, verify, predict): now / baseline",
            `${fmt(coldSummary.firstInvocationMs, 1)} / ${fmt(baselineSummary.firstInvocationMs, 1)} ms`,
            "",
            "",
          ],
          [
            "Lambda process start → 1st response",
            `${fmt(coldSummary.spawnToResponseMs, 1)} ms`,
            "",
            "",
          ],
          [
            "Lambda bundle",
            `${fmt(bundle.bytes)} B (${fmt(bundle.gzipBytes)} B gzipped)`,
            `≤ ${fmt(TARGETS.bundleBytes)} B`,
            verdict(met.bundleBytes),
          ],
        ],
      ),
      "",
      `Soak: ${CONFIG.soakSeconds} s, ${CONFIG.connections} connections, ${SOAK_REQUESTS.length} kinds of request cycled`,
      table(
        [
          "requests",
          "req/s",
          ...Object.keys(classes).sort(),
          "socket errors",
          "RSS before",
          "RSS after",
          "peak RSS",
        ],
        [
          [
            fmt(soak.requests),
            fmt(soak.rps),
            ...Object.keys(classes)
              .sort()
              .map((k) => fmt(classes[k] ?? 0)),
            fmt(socketErrors),
            `${fmt(rssBeforeKb / 1024, 1)} MiB`,
            `${fmt(rssAfterKb / 1024, 1)} MiB`,
            `${fmt(hwmKb / 1024, 1)} MiB`,
          ],
        ],
      ),
      "",
      problems.length === 0
        ? "no problems"
        : `PROBLEMS:\n${problems.map((p) => `- ${p}`).join("\n")}`,
      `wrote ${CONFIG.out}`,
      "",
    ];
    process.stdout.write(out.join("\n"));
    return problems.length === 0 ? 0 : 1;
  } finally {
    const stopped = await stopAll();
    if (stopped.length > 0)
      log(`stopped ${stopped.length} process(es) still running: ${stopped.join(", ")}`);
    rmSync(work, { recursive: true, force: true });
  }
}

process.once("exit", killAllSync);
// Ctrl-C reaches this process twice (from the terminal and relayed by tsx): stop once, and
// keep the handler so that the second signal does not kill this process before it has stopped
// the servers (they run in their own process groups and would outlive it).
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping every process started`);
    stopAll().finally(() => {
      if (workDir) rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

main().then(
  (code) => {
    const left = leftovers();
    if (left.length > 0) {
      log(`processes left behind: ${left.join(", ")}`);
      process.exitCode = 1;
      return;
    }
    process.exitCode = code;
  },
  async (error: Error) => {
    log(`failed: ${error.stack ?? error.message}`);
    await stopAll();
    process.exitCode = 1;
  },
);
