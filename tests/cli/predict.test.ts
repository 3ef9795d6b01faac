/** `iris-mlops predict`, run as a real process: CSV and JSON lines, files and stdin, errors, streaming. */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { FEATURES } from "../../core/features.js";
import { JSONLINES_TYPE, lineRow } from "../../serving/invocations.js";
import { runCli } from "../helpers/cli.js";
import { irisData, type TrainedModel, tempDir, trainedModel } from "../helpers/trained.js";

describe("cli: predict", function () {
  this.timeout(120_000);
  let model: TrainedModel;
  let expected: string[];
  before(async () => {
    model = await trainedModel();
    expected = irisData().rows.map((row) => JSON.stringify(model.predictor.predict(row)));
  });

  const csvRows = () => irisData().rows.map((row) => row.join(","));
  const inFile = async (text: string, name = "rows.txt") => {
    const path = join(tempDir("iris-input-"), name);
    await writeFile(path, text);
    return path;
  };

  it("CSV without a header, from a file: one line per row, in order, exit 0", async () => {
    const input = await inFile(`${csvRows().join("\n")}\n`, "rows.csv");
    const { code, lines, stderr } = await runCli([
      "predict",
      "--model",
      model.dir,
      "--input",
      input,
    ]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines, expected);
    const first = JSON.parse(lines[0] as string);
    assert.deepEqual(Object.keys(first), ["species", "probabilities", "is_iris"]);
    assert.equal(first.species, "setosa");
  });

  it("CSV with a header in another column order, from stdin", async () => {
    // columns: petal_width, sepal_length, petal_length, sepal_width
    const order = [3, 0, 2, 1];
    const header = order.map((f) => FEATURES[f]).join(",");
    const body = irisData().rows.map((row) => order.map((f) => row[f]).join(","));
    const { code, lines } = await runCli(["predict", "--model", model.tarballPath], {
      input: `${header}\n${body.join("\n")}\n`,
    });
    assert.equal(code, 0);
    assert.deepEqual(lines, expected);
  });

  it("JSON lines, objects and arrays mixed, from stdin and from a file", async () => {
    const text = `${irisData()
      .rows.map((row, i) =>
        i % 2
          ? JSON.stringify(row)
          : JSON.stringify(Object.fromEntries(FEATURES.map((f, k) => [f, row[k]]))),
      )
      .join("\n")}\n`;
    const fromStdin = await runCli(["predict", "--model", model.dir], { input: text });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.deepEqual(fromStdin.lines, expected);
    const fromFile = await runCli([
      "predict",
      "--model",
      model.dir,
      "--format",
      "jsonl",
      "--input",
      await inFile(text, "rows.jsonl"),
    ]);
    assert.equal(fromFile.code, 0);
    assert.deepEqual(fromFile.lines, expected);
  });

  it("a bad row gives an error line naming it, the other rows still predicted, exit 1", async () => {
    const good = csvRows();
    const input = [
      good[0],
      "5.1,3.5,1.4", // too few values
      good[50],
      "", // blank lines are skipped, not answered
      "5.1,abc,1.4,0.2",
      "5.1,3.5,1.4,-0.2",
      good[100],
      '"unclosed,1,2,3',
      good[149],
    ].join("\r\n");
    const { code, lines } = await runCli(["predict", "--model", model.dir], { input });
    assert.equal(code, 1);
    assert.equal(lines.length, 8);
    assert.equal(lines[0], expected[0]);
    assert.deepEqual(JSON.parse(lines[1] as string), {
      error:
        "line 2, a CSV row holds exactly 4 values (sepal_length, sepal_width, petal_length, petal_width), got 3",
    });
    assert.equal(lines[2], expected[50]);
    assert.match(
      JSON.parse(lines[3] as string).error,
      /^line 5, sepal_width: must be a finite number of centimetres, got the string "abc"$/,
    );
    assert.match(
      JSON.parse(lines[4] as string).error,
      /^line 6, petal_width: must be greater than 0 cm, got -0\.2$/,
    );
    assert.equal(lines[5], expected[100]);
    assert.match(JSON.parse(lines[6] as string).error, /^line 8, not valid CSV/);
    assert.equal(lines[7], expected[149]);
  });

  it("bad JSON lines: not JSON, strings for numbers, extra keys, a batch on one line", async () => {
    const input = [
      "[5.1, 3.5, 1.4, 0.2]",
      "{not json",
      '["5.1", 3.5, 1.4, 0.2]',
      '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2, "species": "x"}',
      "[[5.1, 3.5, 1.4, 0.2]]",
      "null",
    ].join("\n");
    const { code, lines } = await runCli(["predict", "--model", model.dir], { input });
    assert.equal(code, 1);
    assert.equal(lines.length, 6);
    assert.equal(lines[0], expected[0]);
    const errors = lines.slice(1).map((line) => JSON.parse(line).error as string);
    assert.match(errors[0] as string, /^line 2, not valid JSON/);
    assert.match(errors[1] as string, /^line 3, sepal_length: .*got the string "5\.1"/);
    assert.match(errors[2] as string, /^line 4, unknown field "species"/);
    assert.match(errors[3] as string, /^line 5, sepal_length: .*got an array of 4$/);
    assert.match(errors[4] as string, /^line 6, expected an object/);
  });

  it("a header that is not the four features is an error line, and nothing after it is predicted, exit 1", async () => {
    // the reproduction: a typo in one name used to predict both rows in the default order
    const { code, lines, stderr } = await runCli(["predict", "--model", model.dir], {
      input: "petal_width,petal_length,sepal_width,sepal_lenght\n0.2,1.4,3.5,5.1\n2.5,6,3.3,6.3\n",
    });
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      JSON.parse(lines[0] as string).error,
      /^line 1, header: a header names exactly sepal_length, sepal_width, petal_length, petal_width, got petal_width, petal_length, sepal_width, sepal_lenght/,
    );
    assert.match(stderr, /stopped at line 1: .*no row was predicted\. Fix the first line/);
  });

  describe("a first line that is neither a header nor a row of numbers stops the run (exit 1)", () => {
    // the rows after line 1 are in its column order: read in the default order they would be
    // predicted from the wrong columns, so none is
    const rest = "0.2,1.4,3.5,5.1\n2.5,6,3.3,6.3\n";
    const cases: [string, string, RegExp][] = [
      [
        "a number that is not one",
        "5.1,3.5,1.4,0.2x",
        /^line 1, mixes numbers with other text \("0\.2x"\), so it is neither a header nor a row of numbers/,
      ],
      [
        "a header with a number-like name",
        "1e5,petal_length,sepal_width,petal_width",
        /^line 1, mixes numbers with other text \("petal_length", "sepal_width", "petal_width"\)/,
      ],
      [
        "an unclosed quote",
        '"petal_width,petal_length,sepal_width,sepal_length',
        /^line 1, not valid CSV \(Quote Not Closed/,
      ],
      [
        "a field over 64 characters",
        `${"sepal_length".padEnd(70, "_")},sepal_width,petal_length,petal_width`,
        /^line 1, a field is 70 characters; the limit is 64/,
      ],
      [
        "a line over the line limit",
        "sepal_length,".repeat(400),
        /^line 1, the line is 5200 bytes; the limit is 4096/,
      ],
    ];
    for (const [what, first, says] of cases) {
      it(`${what}: one error line saying why, nothing predicted`, async () => {
        const { code, lines, stderr } = await runCli(["predict", "--model", model.dir], {
          input: `${first}\n${rest}`,
        });
        assert.equal(code, 1, stderr);
        assert.equal(lines.length, 1, lines.join("\n"));
        const error = JSON.parse(lines[0] as string).error as string;
        assert.match(error, says);
        assert.match(
          error,
          /; the first line sets the column order of the rows after it, so reading stopped here$/,
        );
        assert.match(
          stderr,
          /iris-mlops: stopped at line 1: the first line of a CSV input is a header naming the four features in any order, or a row of numbers in the order sepal_length, sepal_width, petal_length, petal_width; this one is neither, so no row was predicted\. Fix the first line or remove it/,
        );
      });
    }

    it("a first row of numbers that is a bad row is only that: the rows after it are predicted", async () => {
      for (const first of [
        "5.1,3.5,1.4,-0.2",
        "5.1,3.5,1.4",
        "5.1,,1.4,0.2",
        "5.1,3.5,1.4,1e999",
      ]) {
        const { code, lines, stderr } = await runCli(["predict", "--model", model.dir], {
          input: `${first}\n${csvRows()[0]}\n`,
        });
        assert.equal(code, 1, stderr);
        assert.equal(lines.length, 2, `${first}: ${lines.join("\n")}`);
        assert.match(JSON.parse(lines[0] as string).error, /^line 1, /);
        assert.doesNotMatch(lines[0] as string, /reading stopped/);
        assert.equal(lines[1], expected[0]);
        assert.doesNotMatch(stderr, /stopped/);
      }
    });

    it("JSON lines have no column order: a bad first line is one bad row", async () => {
      const { code, lines } = await runCli(["predict", "--model", model.dir, "--format", "jsonl"], {
        input: `{"sepal_length":5.1,\n${JSON.stringify(irisData().rows[0])}\n`,
      });
      assert.equal(code, 1);
      assert.equal(lines.length, 2);
      assert.match(JSON.parse(lines[0] as string).error, /^line 1, not valid JSON/);
      assert.equal(lines[1], expected[0]);
    });
  });

  it("empty input: no output, exit 0", async () => {
    const { code, stdout } = await runCli(["predict", "--model", model.dir], { input: "" });
    assert.equal(code, 0);
    assert.equal(stdout, "");
  });

  it("a refused model: exit 2 and a message naming the file", async () => {
    const path = await inFile("not a tarball", "model.tar.gz");
    const { code, stderr, stdout } = await runCli(["predict", "--model", path], {
      input: "5,3,1,0.2\n",
    });
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.ok(stderr.includes(`iris-mlops: ${path}: the model is not a .tar.gz`), stderr);
  });

  it("streams 200,000 rows: every line answered in order, peak memory bounded", async () => {
    const rows = csvRows();
    const total = 200_000;
    const generate = (n: number) =>
      Readable.from(
        (function* () {
          for (let i = 0; i < n; i += 1_000) {
            let chunk = "";
            for (let j = i; j < Math.min(n, i + 1_000); j++) chunk += `${rows[j % 150]}\n`;
            yield chunk;
          }
        })(),
      );
    const run = async (n: number) => {
      let seen = 0;
      let wrong = 0;
      const result = await runCli(["predict", "--model", model.dir], {
        input: generate(n),
        measureRss: true,
        onLine: (line) => {
          if (line !== expected[seen % 150]) wrong++;
          seen++;
        },
      });
      return { ...result, seen, wrong };
    };
    const small = await run(2_000);
    const large = await run(total);
    assert.equal(large.code, 0, large.stderr);
    assert.equal(large.seen, total);
    assert.equal(large.wrong, 0);
    assert.equal(small.seen, 2_000);
    // loose: the output alone is ~19 MB of text, and held as strings it would be well over that
    const small_mb = (small.maxRssKb as number) / 1024;
    const large_mb = (large.maxRssKb as number) / 1024;
    assert.ok(large_mb > 0 && large_mb < 300, `peak RSS ${large_mb.toFixed(0)} MB`);
    assert.ok(
      large_mb - small_mb < 100,
      `peak RSS ${small_mb.toFixed(0)} MB for 2k rows, ${large_mb.toFixed(0)} MB for 200k`,
    );
  });
  it("reads every line as the server does: a line /invocations refuses is an error here too", async () => {
    const row = "[5.1,3.5,1.4,0.2]";
    const lines = [
      `\u00a0${row}`, // NBSP: not JSON whitespace
      `${row}\u2028`,
      `\ufeff${row}`, // a byte-order mark in the middle of the input
      `\u000b${row}`,
      ` ${row}\t`, // JSON whitespace: fine
      row,
    ];
    const input = `\ufeff${row}\n${lines.join("\n")}\n`; // a mark at the start is dropped
    const { lines: out } = await runCli(["predict", "--model", model.dir, "--format", "jsonl"], {
      input,
    });
    const refused = (line: string) => {
      try {
        lineRow(JSONLINES_TYPE, line, 0);
        return false;
      } catch {
        return true;
      }
    };
    assert.deepEqual(
      out.map((l) => "error" in JSON.parse(l)),
      [false, ...lines.map(refused)],
    );
    assert.deepEqual(lines.map(refused), [true, true, true, true, false, false]);
  });
});
