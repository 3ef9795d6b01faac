/**
 * Runs handlers/lambda.ts in a child process, a fresh execution environment of its own: for the
 * init-phase scenarios (S3 unreachable, object missing, model refused) that the module, imported
 * once per process, cannot replay in the test process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { APIGatewayProxyResult } from "aws-lambda";
import type { ApiEvent } from "../../handlers/events.js";
import { type Captured, parseOutput } from "./capture-output.js";

const ROOT = join(__dirname, "..", "..");

interface Reply {
  id?: number;
  ready?: boolean;
  result?: APIGatewayProxyResult;
  thrown?: string;
}

export class LambdaEnvironment {
  private output = "";
  private next = 0;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.on("message", (reply: Reply) => {
      if (reply.id === undefined) return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /**
   * Start an environment whose variables are the test process's plus `env`; capture is off
   * unless `env` sets CAPTURE_SAMPLE, so that its logs are the same on every run.
   */
  static async start(env: Record<string, string | undefined>): Promise<LambdaEnvironment> {
    const child = fork(join(ROOT, "tests/helpers/lambda-child.ts"), [], {
      cwd: ROOT,
      execArgv: ["--import", "tsx"],
      env: { ...process.env, CAPTURE_SAMPLE: "0", ...env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const environment = new LambdaEnvironment(child);
    await new Promise<void>((resolve, reject) => {
      child.on("message", (reply: Reply) => reply.ready && resolve());
      child.once("exit", (code) =>
        reject(
          new Error(
            `the environment exited (${code}) before its init phase ended:\n${environment.output}`,
          ),
        ),
      );
    });
    return environment;
  }

  /** Invoke the handler; a throw in the child is an assertion failure here. */
  invoke(event: ApiEvent): Promise<APIGatewayProxyResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => {
        if (reply.result) resolve(reply.result);
        else reject(new Error(`the handler threw: ${reply.thrown}`));
      });
      this.child.send({ id, event });
    });
  }

  /** End the environment and read everything it wrote (logs and metrics). */
  async stop(): Promise<Captured> {
    this.child.disconnect();
    await this.exited;
    return parseOutput(this.output);
  }

  /** For an after() hook: make sure the child is gone. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}
