/**
 * Child processes of a benchmark: every one started here is tracked by PID and stopped by PID
 * at the end, also when the benchmark fails or is interrupted. Each child leads its own process
 * group (spawn's `detached`), so what it forks (gunicorn's workers) can be found and stopped too.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Where its stdout and stderr go, for the error message when it dies early. */
  log: string;
}

const running = new Map<number, Started>();
/** Process groups ever started here, to sweep for leftovers at the end. */
const groups = new Set<number>();

/** Start a long-running process; stdout and stderr go to `log`. */
export function start(
  name: string,
  command: string,
  args: readonly string[],
  { log, env, cwd }: { log: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Started {
  const fd = openSync(log, "a");
  const child = spawn(command, args, {
    stdio: ["ignore", fd, fd],
    detached: true,
    env: env ?? process.env,
    cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const started: Started = { name, child, pid: child.pid, log };
  running.set(child.pid, started);
  groups.add(child.pid);
  child.once("exit", () => running.delete(started.pid));
  return started;
}

/** ["taskset", "-c", "0", "node", …] → ["taskset", ["-c", "0", "node", …]] */
export function splitArgv(argv: readonly string[]): [string, string[]] {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("empty command line");
  return [command, args];
}

/** Run a command to its end (bounded by `timeoutMs`); resolves with its output, rejects on failure. */
export function run(
  command: string,
  args: readonly string[],
  {
    timeoutMs = 600_000,
    env,
    cwd,
    okCodes = [0],
    discardStdout = false,
  }: {
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    okCodes?: number[];
    /** Read stdout and drop it (a chatty child still writes to a pipe, as under Lambda). */
    discardStdout?: boolean;
  } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: env ?? process.env,
      cwd,
    });
    if (child.pid === undefined) {
      reject(new Error(`could not start ${command}`));
      return;
    }
    const pid = child.pid;
    const started: Started = { name: command, child, pid, log: "" };
    running.set(pid, started);
    groups.add(pid);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      if (!discardStdout) stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      void stop(started);
      reject(new Error(`${command} ${args.join(" ")} took over ${timeoutMs} ms; stopped`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      running.delete(pid);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(pid);
      const status = code ?? -1;
      if (okCodes.includes(status)) resolve({ stdout, stderr, code: status });
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} exited with ${signal ?? code}: ${stderr.trim().slice(-2000)}`,
          ),
        );
    });
  });
}

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** PIDs whose process group is `pgid` (from /proc/PID/stat). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return members;
}

/** SIGTERM, then SIGKILL after `graceMs`; then any process left in its group, by PID. */
export async function stop(started: Started, graceMs = 5000): Promise<void> {
  if (!exited(started.child)) {
    kill(started.pid, "SIGTERM");
    if (!(await waitExit(started.child, graceMs))) {
      kill(started.pid, "SIGKILL");
      await waitExit(started.child, 2000);
    }
  }
  running.delete(started.pid);
  await sweepGroup(started.pid);
}

async function sweepGroup(pgid: number): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const left = groupMembers(pgid);
    if (left.length === 0) return;
    for (const pid of left) kill(pid, attempt < 10 ? "SIGTERM" : "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stop everything still running; returns the PIDs that had to be stopped. */
export async function stopAll(): Promise<number[]> {
  const stopped = [...running.values()];
  await Promise.all(stopped.map((s) => stop(s)));
  for (const pgid of groups) await sweepGroup(pgid);
  return stopped.map((s) => s.pid);
}

/** PIDs of every process started here that still exists (should be none at the end). */
export function leftovers(): number[] {
  return [...groups].flatMap((pgid) => groupMembers(pgid));
}

/** Last resort on process exit: synchronous SIGKILL of whatever is left, by PID. */
export function killAllSync(): void {
  for (const pgid of groups) for (const pid of groupMembers(pgid)) kill(pid, "SIGKILL");
}

/** VmRSS of a process in kB, from /proc/PID/status. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds (user + system) used so far by the processes of a group (a server and the
 * workers it forked), from /proc/PID/stat; resolution 1/CLK_TCK.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of groupMembers(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[11], fields[12]: utime, stime (the 14th and 15th of the whole line)
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks / CLOCK_TICKS;
}
