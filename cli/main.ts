#!/usr/bin/env node
import { access, writeFile } from "node:fs/promises";
/**
 * The `iris-mlops` command: train a model, predict from files, serve the model over HTTP, read
 * the registry, run a Batch Transform job.
 */
import { Command, CommanderError } from "commander";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../training/options.js";
import { addDriftCommand } from "./drift.js";
import {
  addModelOptions,
  keygen,
  loadModelForCli,
  type ModelFlags,
  readSigningKey,
} from "./model-options.js";
import { addModelsCommand } from "./models.js";
import { decimal, integer } from "./options.js";
import { addPredictCommand } from "./predict-command.js";
import { addTrafficCommand } from "./traffic.js";
import { addTransformCommand } from "./transform.js";

/**
 * What only training or serving needs is loaded when that command runs: the trainer and the
 * server took about 110 ms to load, paid by every `iris-mlops predict` before.
 */
const training = () => ({
  ...(require("../training/data.js") as typeof import("../training/data.js")),
  ...(require("../training/report.js") as typeof import("../training/report.js")),
  ...(require("../training/train.js") as typeof import("../training/train.js")),
  ...(require("../training/write.js") as typeof import("../training/write.js")),
});
const server = () => ({
  ...(require("../server/app.js") as typeof import("../server/app.js")),
  ...(require("../server/listen.js") as typeof import("../server/listen.js")),
  ...(require("../server/log.js") as typeof import("../server/log.js")),
  ...(require("../server/capture-sink.js") as typeof import("../server/capture-sink.js")),
});

export const DEFAULT_ARTIFACT_DIR = "artifacts";

/** Commander names the flags after the options (--max-depth → maxDepth), so they pass straight through. */
async function trainCommand({
  out,
  json,
  signKey,
  report,
  ...options
}: TrainOptions & { out: string; json?: boolean; signKey?: string; report?: string }) {
  const key = signKey === undefined ? undefined : await readSigningKey(signKey);
  const { train, loadIris, writeArtifact, formatReport } = training();
  const result = train(loadIris(), options);
  const written = await writeArtifact(out, result.files, key);
  let wroteReport = "";
  if (report !== undefined) {
    const { renderTrainReport } =
      require("../reports/train-report.js") as typeof import("../reports/train-report.js");
    await writeFile(report, await renderTrainReport(result));
    wroteReport = `\nwrote the report to ${report}\n`;
  }
  process.stdout.write(
    json
      ? `${JSON.stringify(result.manifest, null, 2)}\n`
      : `${formatReport(result)}\n\nwrote ${written.tarball} and ${written.manifest}\n${wroteReport}`,
  );
}

/**
 * The model to serve: the one asked for, or the local artifacts/ folder, trained there first
 * when it holds no model yet (so `npm start` works on a fresh clone).
 */
async function servedModel(
  model: string | undefined,
  flags: ModelFlags,
  log: (line: string) => void,
) {
  if (model !== undefined) return loadModelForCli(model, flags);
  const exists = await access(`${DEFAULT_ARTIFACT_DIR}/model.tar.gz`).then(
    () => true,
    () => false,
  );
  if (!exists) {
    log(`no model in ${DEFAULT_ARTIFACT_DIR}/: training one with the default options`);
    const { train, loadIris, writeArtifact, formatReport } = training();
    const result = train(loadIris(), DEFAULT_TRAIN_OPTIONS);
    await writeArtifact(DEFAULT_ARTIFACT_DIR, result.files);
    log(formatReport(result));
  }
  return loadModelForCli(DEFAULT_ARTIFACT_DIR, flags);
}

/** Whether commander printed a usage error itself (then main does not print it again). */
let usagePrinted = false;

export function buildProgram(): Command {
  const program = new Command("iris-mlops")
    .description("Train, evaluate and serve a Random Forest that recognises Iris species.")
    .showHelpAfterError()
    // a usage error (unknown option, missing value) throws instead of exiting 1, so it exits 2
    // like every other usage error below; subcommands made after this inherit it
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        usagePrinted = true;
        write(text);
      },
    });

  const d = DEFAULT_TRAIN_OPTIONS;
  program
    .command("train")
    .description(
      "Train on the Iris data, print the evaluation and write model.tar.gz + manifest.json.",
    )
    .option("--out <dir>", "where to write the artifact", DEFAULT_ARTIFACT_DIR)
    .option("--trees <n>", "number of trees", integer, d.trees)
    .option("--seed <n>", "seed of the split, the folds and the forest", integer, d.seed)
    .option(
      "--max-features <x>",
      "features per tree: a fraction in (0, 1] or a count",
      decimal,
      d.maxFeatures,
    )
    .option("--max-depth <n>", "tree depth limit (default: unlimited)", integer)
    .option(
      "--min-samples <n>",
      "a node with this many rows or fewer is a leaf",
      integer,
      d.minSamples,
    )
    .option("--gain-threshold <x>", "least Gini gain a split must bring", decimal, d.gainThreshold)
    .option("--no-replacement", "draw each tree's features without replacement")
    .option("--no-bagging", "train every tree on all rows (no bootstrap)")
    .option(
      "--test-fraction <x>",
      "share of each class held out for testing",
      decimal,
      d.testFraction,
    )
    .option("--folds <k>", "cross-validation folds", integer, d.folds)
    .option("--json", "print the manifest as JSON instead of the table")
    .option("--report <file>", "also write the training report (self-contained HTML with charts)")
    .option(
      "--sign-key <file>",
      "sign the model with this Ed25519 private key (PEM; see iris-mlops keygen)",
    )
    .action(async (flags) => {
      await trainCommand(flags);
    });

  program
    .command("keygen")
    .description(
      "Write an Ed25519 key pair for signing models (train --sign-key) and trusting them (--public-key).",
    )
    .option("--out <dir>", "where to write the two PEM files", ".")
    .action(async (flags: { out: string }) => {
      process.stdout.write(await keygen(flags.out));
    });

  addPredictCommand(program, DEFAULT_ARTIFACT_DIR);

  const serve = program
    .command("serve")
    .description(
      "Serve the model over HTTP: POST /predict and GET /health (as the Lambda API), " +
        "GET /ping, POST /invocations and GET /execution-parameters (as the SageMaker container), " +
        "GET /metrics (Prometheus).",
    )
    .option(
      "--model <path>",
      `a model.tar.gz, a folder, or s3://bucket/key (default: ${DEFAULT_ARTIFACT_DIR}/, trained first if empty)`,
    )
    .option("--port <n>", "port to listen on (default: $PORT or 8080)", integer)
    .option("--host <address>", "address to listen on; 0.0.0.0 for every interface", "127.0.0.1")
    .option("--no-metrics", "no Prometheus metrics at GET /metrics (docs/metrics.md)")
    .option(
      "--capture-dir <dir>",
      "capture a sample of predictions (CAPTURE_SAMPLE, default 0.1) as JSON lines under <dir>/server/yyyy/mm/dd/hh/ (docs/monitoring.md)",
    )
    .option(
      "--capture-log",
      "print the capture lines on standard output instead (as the container does)",
    );
  addModelOptions(serve).action(
    async (
      flags: ModelFlags & {
        model?: string;
        port?: number;
        host: string;
        metrics: boolean;
        captureDir?: string;
        captureLog?: boolean;
      },
    ) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const { buildApp, createLogger, listenUntilSignal, serverCaptureFrom } = server();
      // a bad CAPTURE_SAMPLE refuses to start before a model is loaded
      const capture = serverCaptureFrom({
        door: "server",
        dir: flags.captureDir,
        log: flags.captureLog,
        env: process.env,
      });
      const predictor = await servedModel(flags.model, flags, log);
      const port = flags.port ?? integer(process.env.PORT ?? "8080");
      const app = buildApp({
        predictor,
        logger: createLogger(process.env.LOG_LEVEL ?? "info"),
        metrics: flags.metrics,
        ...(capture === undefined ? {} : { capture }),
      });
      const address = await listenUntilSignal(app, flags.host, port);
      log(`model ${predictor.modelVersion} serving on ${address}`);
      log(
        `try: curl -s ${address}/predict -d '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}'`,
      );
    },
  );

  addModelsCommand(program);
  addTransformCommand(program);
  addDriftCommand(program, DEFAULT_ARTIFACT_DIR);
  addTrafficCommand(program);

  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync()
    .catch((error: Error) => {
      if (error instanceof CommanderError && (usagePrinted || error.exitCode === 0)) {
        // commander has printed its message (or the help, or the version: exit code 0)
        process.exitCode = error.exitCode === 0 ? 0 : 2;
        return;
      }
      process.stderr.write(`iris-mlops: ${error.message}\n`);
      process.exitCode = 2;
    });
}
