#!/usr/bin/env node
/**
 * The container's entrypoint: SageMaker runs `<image> serve` for an endpoint and
 * `<image> train` for a training job.
 */
import { buildApp } from "../server/app.js";
import { serverCaptureFrom } from "../server/capture-sink.js";
import { listenUntilSignal } from "../server/listen.js";
import { createLogger } from "../server/log.js";
import { loadEndpointModel, MODEL_DIR } from "./serve.js";
import { runTrainingJob } from "./train.js";

const OPT_ML = "/opt/ml";

async function serve(): Promise<void> {
  const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080);
  // CAPTURE_LOG=1 (a serverless endpoint: no DataCaptureConfig there) prints a sample of the
  // predictions as capture lines for the log group's Firehose subscription; an instance
  // endpoint's DataCaptureConfig captures on its own, so the container does nothing
  const capture = serverCaptureFrom({
    door: "sagemaker",
    log: process.env.CAPTURE_LOG === "1",
    env: process.env,
  });
  // the model is loaded before the server listens, so /ping is healthy only with a model, and
  // only with one the environment vouches for (serve.ts)
  const predictor = await loadEndpointModel(MODEL_DIR, process.env);
  const app = buildApp({
    predictor,
    logger: createLogger(process.env.LOG_LEVEL ?? "info"),
    ...(capture === undefined ? {} : { capture }),
  });
  await listenUntilSignal(app, "0.0.0.0", port);
  app.log.info(
    { model_version: predictor.modelVersion, verified_by: predictor.verification, port },
    "serving",
  );
}

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case "serve":
      return serve();
    case "train":
      process.exitCode = await runTrainingJob(OPT_ML);
      return;
    default:
      process.stderr.write(
        `usage: <image> serve | train (SageMaker's contract); got ${JSON.stringify(command ?? "")}\n`,
      );
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
