/**
 * `iris-mlops serve` from a given source folder, as its own process on a free loopback port,
 * for the attack classes: its peak RSS read from /proc, stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface AttackServer {
  port: number;
  child: ChildProcess;
  exited(): boolean;
  /** Exit code or signal, once exited. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Peak resident set size so far, in MB (VmHWM). */
  peakRssMb(): number;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startServer(root: string, modelDir: string): Promise<AttackServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "cli/main.ts"),
      "serve",
      "--model",
      modelDir,
      "--port",
      `${port}`,
    ],
    { cwd: root, env: { ...process.env, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  let done = false;
  let peak = 0;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const peakRssMb = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // exited: the last reading stands
    }
    return peak;
  };
  // sampled, so the peak of a server that is killed is not lost
  const sampler = setInterval(peakRssMb, 200);
  exit.then(() => clearInterval(sampler));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/ping`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    if (done || Date.now() > deadline)
      throw new Error(`server from ${root} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    child,
    exit,
    exited: () => done,
    peakRssMb,
    output: () => output,
    stop: async () => {
      if (!done) child.kill("SIGKILL");
      await exit;
    },
  };
}
