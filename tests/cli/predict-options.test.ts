/**
 * `iris-mlops predict`'s flags for large inputs: --output-format csv, --jobs N (worker threads,
 * the output in input order), progress on a terminal only, and memory that stays flat.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { linesFile } from "../helpers/line-inputs.js";
import { REPO_ROOT, type TrainedModel, tempDir, trainedModel } from "../helpers/trained.js";

/** The fields of a CSV line as RFC 4180 writes them (a quoted field may hold commas and quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let at = 0;
  while (at <= line.length) {
    if (line[at] === '"') {
      let end = at + 1;
      let text = "";
      for (;;) {
        const quote = line.indexOf('"', end);
        text += line.slice(end, quote);
        if (line[quote + 1] !== '"') {
          end = quote + 1;
          break;
        }
        text += '"';
        end = quote + 2;
      }
      fields.push(text);
      at = end + 1;
    } else {
      const comma = line.indexOf(",", at);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(at, end));
      at = end + 1;
    }
  }
  return fields;
}

describe("cli: predict --output-format, --jobs, progress", function () {
  this.timeout(300_000);
  let model: TrainedModel;
  let dir: string;
  before(async () => {
    model = await trainedModel();
    dir = tempDir("iris-predict-options-");
  });
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it("--output-format csv: a header, then each answer's fields, errors in the last column", async () => {
    const input = await file(
      "mixed.csv",
      linesFile(3_000, { format: "csv", badEvery: 11, header: true, seed: 4 }),
    );
    const jsonl = await runCli(["predict", "--model", model.dir, "--input", input]);
    const csv = await runCli([
      "predict",
      "--model",
      model.dir,
      "--input",
      input,
      "--output-format",
      "csv",
    ]);
    assert.equal(csv.code, 1);
    const classes = model.predictor.classes;
    const [header, ...lines] = csv.lines;
    assert.equal(
      header,
      `species,${classes.map((c) => `probability_${c}`).join(",")},is_iris,error`,
    );
    assert.equal(lines.length, jsonl.lines.length);
    let errors = 0;
    lines.forEach((line, i) => {
      const answer = JSON.parse(jsonl.lines[i] as string);
      const fields = csvFields(line);
      assert.equal(fields.length, classes.length + 3, line);
      if ("error" in answer) {
        errors++;
        assert.deepEqual(fields, [...fields.slice(0, -1).map(() => ""), answer.error]);
        return;
      }
      assert.deepEqual(fields, [
        answer.species,
        ...classes.map((c) => String(answer.probabilities[c])),
        String(answer.is_iris),
        "",
      ]);
    });
    assert.ok(errors > 100, `${errors} errors`);
  });

  it("--jobs 3 on a file of many runs: the bytes of --jobs 1, in the same order", async () => {
    const input = await file("large.csv", linesFile(120_000, { format: "csv", badEvery: 501 }));
    const one = await runCli(["predict", "--model", model.dir, "--input", input]);
    const three = await runCli(["predict", "--model", model.dir, "--input", input, "--jobs", "3"]);
    assert.equal(one.code, 1);
    assert.equal(three.code, 1);
    assert.ok(one.lines.length > 119_000, `${one.lines.length} lines`);
    assert.ok(three.stdout === one.stdout, "the outputs differ");
  });

  it("--jobs 64 into a pipe: the bytes of --jobs 1, and nothing on stderr but the model line", async () => {
    // found by review: each worker's stdout was piped into ours, and from ten workers on node
    // warned of a listener leak on stderr; and 63 workers cost ~13 MB each on a 2-core machine
    const input = await file("jobs64.csv", linesFile(20_000, { format: "csv", badEvery: 997 }));
    const one = await runCli(["predict", "--model", model.dir, "--input", input]);
    const many = await runCli(["predict", "--model", model.dir, "--input", input, "--jobs", "64"]);
    assert.ok(many.stdout === one.stdout, "the outputs differ");
    assert.deepEqual(many.stderr, one.stderr);
    assert.doesNotMatch(many.stderr, /Warning/);
  });

  it("--jobs takes 1 to 64", async () => {
    for (const jobs of ["0", "65", "two"]) {
      const { code, stderr, stdout } = await runCli(
        ["predict", "--model", model.dir, "--jobs", jobs],
        {
          input: "5.1,3.5,1.4,0.2\n",
        },
      );
      assert.notEqual(code, 0, jobs);
      assert.equal(stdout, "");
      assert.match(stderr, /--jobs <n>.*(expected 1 to 64|expected a whole number)/);
    }
    const two = await runCli(["predict", "--model", model.dir, "--jobs", "2"], {
      input: "5.1,3.5,1.4,0.2\n",
    });
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.lines.length, 1);
  });

  it("draws progress on stderr only when it is a terminal", async () => {
    const input = await file("progress.csv", linesFile(30_000, { format: "csv" }));
    const piped = await runCli(["predict", "--model", model.dir, "--input", input]);
    assert.equal(piped.code, 0);
    assert.doesNotMatch(piped.stderr, /rows/);
    // script(1) gives the command a terminal; stdout goes to a file
    const out = join(dir, "progress.jsonl");
    const command = `${process.execPath} --import tsx cli/main.ts predict --model ${model.dir} --input ${input} > ${out}`;
    const terminal = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: REPO_ROOT });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.on("close", (code) => resolve({ code, text }));
    });
    assert.equal(terminal.code, 0, terminal.text);
    assert.match(terminal.text, /\r30,000 rows, 0 with errors\r?\n/);
    assert.equal((await readFile(out, "utf8")).split("\n").length, 30_001);
  });

  it("--jobs 2 on a million rows: every row answered, peak memory bounded", async () => {
    const small = await file("small.jsonl", linesFile(10_000, { format: "jsonl", seed: 7 }));
    const large = await file("million.csv", linesFile(1_000_000, { format: "csv", seed: 7 }));
    const run = async (input: string) => {
      let lines = 0;
      const result = await runCli(
        ["predict", "--model", model.dir, "--input", input, "--jobs", "2"],
        {
          measureRss: true,
          onLine: () => {
            lines++;
          },
        },
      );
      return { ...result, lines };
    };
    const before = await run(small);
    const after = await run(large);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.lines, 1_000_000);
    const mb = (kb: number | undefined) => (kb as number) / 1024;
    // the input alone is 16 MB and its answers 105 MB: held whole, memory would grow by far more
    assert.ok(
      mb(after.maxRssKb) - mb(before.maxRssKb) < 120,
      `peak RSS ${mb(before.maxRssKb).toFixed(0)} MB for 10k rows, ${mb(after.maxRssKb).toFixed(0)} MB for 1M`,
    );
  });
});
