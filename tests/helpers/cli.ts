/** Running the real command line, `node --import tsx cli/main.ts ...`, from the repository root. */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { REPO_ROOT, tempDir } from "./trained.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Output lines (stdout split on newlines, the last empty piece dropped). */
  lines: string[];
}

export interface CliOptions {
  /** Fed to standard input (a stream is piped, with backpressure); none closes stdin at once. */
  input?: string | Readable;
  /** Called with each complete stdout line instead of collecting stdout. */
  onLine?: (line: string) => void;
  /** Measure the child's peak RSS (kB), reported in `maxRssKb`. */
  measureRss?: boolean;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

export async function runCli(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult & { maxRssKb?: number }> {
  const rssFile = options.measureRss ? join(tempDir("iris-rss-"), "rss") : undefined;
  const preload = rssFile ? ["--import", "./tests/helpers/report-rss.ts"] : [];
  const child = spawn(process.execPath, ["--import", "tsx", ...preload, "cli/main.ts", ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      ...(rssFile ? { IRIS_TEST_RSS_FILE: rssFile } : {}),
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let partial = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    if (!options.onLine) {
      stdout += chunk;
      return;
    }
    const pieces = (partial + chunk).split("\n");
    partial = pieces.pop() as string;
    for (const line of pieces) options.onLine(line);
  });
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {
    // the child may exit before reading all of its input (e.g. on a bad flag)
  });
  if (typeof options.input === "string") child.stdin.end(options.input);
  else if (options.input) options.input.pipe(child.stdin);
  else child.stdin.end();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (partial && options.onLine) options.onLine(partial);
  const lines = stdout.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const maxRssKb = rssFile ? Number(await readFile(rssFile, "utf8")) : undefined;
  return { code, stdout, stderr, lines, ...(maxRssKb === undefined ? {} : { maxRssKb }) };
}
