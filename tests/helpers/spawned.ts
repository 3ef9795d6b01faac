/**
 * A TypeScript entrypoint of the project run as its own process (node --import tsx), with its
 * output collected and ways to wait for a line or for the exit. Waits are bounded so that a
 * process that hangs fails the test instead of hanging the run; the bounds are generous, they
 * are not timing assertions.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Spawned {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  /** `node [...nodeArgs] --import tsx <script> ...args` from the project's root. */
  static start(
    script: string,
    args: string[],
    env: Record<string, string | undefined> = {},
    nodeArgs: string[] = [],
  ) {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Spawned(child);
  }

  get output(): string {
    return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }

  /** Wait until stdout or stderr matches `pattern`; fails if the process exits first. */
  async waitFor(pattern: RegExp, limitMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + limitMs;
    let exited = false;
    this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      const match = this.stderr.match(pattern) ?? this.stdout.match(pattern);
      if (match) return match;
      if (exited) throw new Error(`exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} after ${limitMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The exit, or a failure (and a SIGKILL) if it does not come within the bound. */
  async exit(limitMs = 15_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill("SIGKILL");
        reject(new Error(`still running after ${limitMs} ms:\n${this.output}`));
      }, limitMs);
    });
    try {
      return await Promise.race([this.exited, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** A port free right now on 127.0.0.1 (the OS picks it; we close it again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Poll `url` until it answers 200 (a server starting up); bounded like waitFor. */
export async function waitForOk(url: string, spawned: Spawned, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let exited = false;
  spawned.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (exited) throw new Error(`exited before ${url} answered:\n${spawned.output}`);
    if (Date.now() > deadline)
      throw new Error(`${url} not up after ${limitMs} ms:\n${spawned.output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
