/**
 * `iris-mlops predict` against what broke it (issue 8, item 12): a reader that closes the pipe
 * early (`| head -1`), and a line far longer than any row, streamed without touching the disk.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { MAX_LINE_BYTES } from "../../core/lines.js";
import { runCli } from "../helpers/cli.js";
import { irisData, REPO_ROOT, type TrainedModel, trainedModel } from "../helpers/trained.js";

describe("cli: predict robustness", function () {
  this.timeout(180_000);
  let model: TrainedModel;
  let expected: string[];
  let rows: string[];
  before(async () => {
    model = await trainedModel();
    rows = irisData().rows.map((row) => row.join(","));
    expected = irisData().rows.map((row) => JSON.stringify(model.predictor.predict(row)));
  });

  for (const jobs of ["1", "2"])
    it(`exits quietly when the reader closes the pipe after one line (| head -1), --jobs ${jobs}`, async () => {
      await closedAfterOneLine(jobs);
    });

  async function closedAfterOneLine(jobs: string) {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", "predict", "--model", model.dir, "--jobs", jobs],
      {
        cwd: REPO_ROOT,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.stdin.on("error", () => undefined); // the child stops reading once its output is gone
    // far more output than a pipe holds, so the writes meet the closed pipe
    Readable.from(
      (function* () {
        for (let i = 0; i < 400; i++)
          yield `${Array.from({ length: 1_000 }, (_, j) => rows[j % 150]).join("\n")}\n`;
      })(),
    ).pipe(child.stdin);
    let first = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      first ||= text.split("\n")[0] as string;
      child.stdout.destroy(); // what head does after its line
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(first, expected[0]);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /, stderr);
    assert.equal(code, 0, stderr);
  }

  it(`a ${64} MiB line is one error naming the limit, the lines around it are predicted, memory stays flat`, async () => {
    const run = async (longBytes: number) => {
      const chunk = "1".repeat(1024 * 1024);
      const input = Readable.from(
        (function* () {
          yield `${rows[0]}\n`;
          for (let sent = 0; sent < longBytes; sent += chunk.length)
            yield chunk.slice(0, Math.min(chunk.length, longBytes - sent));
          yield `\n${rows[100]}\n`;
        })(),
      );
      return runCli(["predict", "--model", model.dir], { input, measureRss: true });
    };
    const small = await run(1024 * 1024);
    const large = await run(64 * 1024 * 1024);
    for (const [result, bytes] of [
      [small, 1024 * 1024],
      [large, 64 * 1024 * 1024],
    ] as const) {
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.lines.length, 3);
      assert.equal(result.lines[0], expected[0]);
      assert.equal(
        JSON.parse(result.lines[1] as string).error,
        `line 2, the line is ${bytes} bytes; the limit is ${MAX_LINE_BYTES} (send one flower per line)`,
      );
      assert.equal(result.lines[2], expected[100]);
    }
    const growth = ((large.maxRssKb as number) - (small.maxRssKb as number)) / 1024;
    // readline kept the whole line: +150 MB here (and 660 MB peak for 256 MiB). What is left is
    // the input chunks read and dropped before the GC takes them back: ~30 MB, whatever the size
    assert.ok(
      growth < 48,
      `peak RSS grew ${growth.toFixed(1)} MB from a 1 MiB line to a 64 MiB one`,
    );
  });
});
