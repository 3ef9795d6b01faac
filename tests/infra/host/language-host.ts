/**
 * Runs a Pulumi program the way `pulumi preview` / `pulumi up` start it, against a recording
 * engine. The Go parts are re-implemented here, because the language host
 * (pulumi-language-nodejs) is not on npm: the CLI's project reading (Pulumi.yaml `main` split by
 * pkg/engine/project.go getPwdMain: a file `main` runs from its folder under its base name; stack
 * config from Pulumi.<stack>.yaml over the project's config defaults) and the host's Run
 * (sdk/nodejs/cmd/pulumi-language-nodejs/main.go: constructArguments, constructConfig, the
 * PULUMI_* environment). What runs the program is @pulumi/pulumi's own entry, cmd/run, with
 * ts-node registered by its run.js exactly as under the CLI.
 *
 * Left out on purpose: the host's gRPC proxy in front of the monitor (it forwards untouched) and
 * its `--sync` pipes (this SDK version no longer reads them for invokes).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parse } from "yaml";
import { type EngineRun, RecordingEngine } from "./engine.js";
import { sdkEntry } from "./sdk.js";

export interface ProgramRun {
  /** The folder holding Pulumi.yaml. */
  readonly projectDir: string;
  readonly stack: string;
  readonly dryRun: boolean;
  /** Config set on the command line (`pulumi config set`), bare keys in the project's namespace. */
  readonly config?: Record<string, unknown>;
  /** Environment on top of the test's own (e.g. what the deploy workflow sets). */
  readonly env?: Record<string, string>;
  /** How long the program may run before it is killed and the run fails. */
  readonly limitMs?: number;
}

export interface RunResult {
  readonly engine: RecordingEngine;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly args: readonly string[];
}

interface Project {
  name: string;
  main?: string;
  runtime: string | { name: string; options?: Record<string, unknown> };
  config?: Record<string, { value?: unknown } | unknown>;
}

const PULUMI_ORGANIZATION = "organization"; // what a self-managed backend reports
const PARALLEL = 16; // `pulumi up`'s default --parallel

/** getPwdMain: a file `main` runs from its own folder, under its base name. */
export function pwdMain(root: string, main: string | undefined): { pwd: string; main: string } {
  if (!main) return { pwd: root, main: "." };
  const full = join(root, main);
  if (statSync(full).isDirectory()) return { pwd: full, main: "." };
  return { pwd: dirname(full), main: basename(full) };
}

/** A config key as the CLI stores it: `ns:name`, bare names in the project's namespace. */
const qualify = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);

/** A config value as the CLI hands it over: strings as they are, everything else as JSON. */
const asConfigString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

export function stackConfig(
  projectDir: string,
  project: Project,
  stack: string,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec && typeof spec === "object" && "value" in spec)
      config[qualify(project.name, key)] = asConfigString(spec.value);
  }
  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  if (existsSync(stackFile)) {
    const values = (parse(readFileSync(stackFile, "utf8"))?.config ?? {}) as Record<
      string,
      unknown
    >;
    for (const [key, v] of Object.entries(values))
      config[qualify(project.name, key)] = asConfigString(v);
  }
  for (const [key, v] of Object.entries(extra))
    config[qualify(project.name, key)] = asConfigString(v);
  return config;
}

/** constructConfig: `ns:name` becomes `ns:config:name`, the form every SDK version reads. */
const hostConfig = (config: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(config).map(([key, v]) => {
      const at = key.indexOf(":");
      return [`${key.slice(0, at)}:config:${key.slice(at + 1)}`, v];
    }),
  );

export async function runProgram(run: ProgramRun): Promise<RunResult> {
  const project = parse(readFileSync(join(run.projectDir, "Pulumi.yaml"), "utf8")) as Project;
  const runtime = typeof project.runtime === "string" ? { name: project.runtime } : project.runtime;
  if (runtime.name !== "nodejs") throw new Error(`not a Node.js project: ${runtime.name}`);
  const options = runtime.options ?? {};
  const { pwd, main } = pwdMain(run.projectDir, project.main);
  const config = stackConfig(run.projectDir, project, run.stack, run.config);

  const engineRun: EngineRun = {
    project: project.name,
    stack: run.stack,
    dryRun: run.dryRun,
    workingDir: pwd,
  };
  const engine = new RecordingEngine(engineRun);
  await engine.start();

  // locateModule: the SDK the program's own folder resolves
  const runPath = sdkEntry(pwd, "cmd/run");
  const args = [
    runPath,
    ...["--monitor", engine.address, "--engine", engine.address],
    ...["--organization", PULUMI_ORGANIZATION, "--project", project.name],
    ...["--root-directory", run.projectDir, "--stack", run.stack, "--pwd", pwd],
    ...(run.dryRun ? ["--dry-run"] : []),
    ...["--parallel", String(PARALLEL)],
    main,
  ];
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...run.env,
    PULUMI_CONFIG: JSON.stringify(hostConfig(config)),
    PULUMI_CONFIG_SECRET_KEYS: "[]",
    // the test runner's own loaders (tsx maps .js to .ts) must not reach the program
    NODE_OPTIONS: undefined,
  };
  // parseOptions: typescript defaults to true
  if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;

  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: pwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const limit = setTimeout(() => child.kill("SIGKILL"), run.limitMs ?? 120_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (code, sig) => resolve([code, sig])),
  );
  clearTimeout(limit);
  await engine.stop();
  return { engine, exitCode, signal, stdout, stderr, ms: Date.now() - started, args };
}
