/**
 * A predictor from a model's bytes (a download) or a local path, once the deployer's trust policy
 * (model-trust.ts) and the manifest (core/artifact.ts) agree. No S3 client here: the Lambda's
 * bundle imports this without the AWS SDK.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { readArtifactFiles, readModelTarball, TARBALL, verifyArtifact } from "../core/artifact.js";
import { createPredictor, type Predictor } from "../core/predictor.js";
import { locationFromEnv, trustFromEnv } from "./model-env.js";
import { type S3Location, s3Uri } from "./model-location.js";
import { checkTrust, type ModelBytes, refuseUnvouched, type TrustPolicy } from "./model-trust.js";

/** A predictor from bytes already in hand (a download), once the trust policy and the manifest agree. */
export async function predictorFromBytes(
  source: ModelBytes,
  trust: TrustPolicy = {},
): Promise<Predictor> {
  const { tarball, name } = source;
  const { files, verification } = await checkTrust(
    source,
    () => (tarball ? readArtifactFiles(tarball, name) : readArtifactFiles(name)),
    trust,
  );
  return createPredictor(verifyArtifact(files), verification);
}

/** The model.tar.gz a local path means, when it means one (a folder may hold unpacked files). */
async function tarballAt(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return path;
  const inside = join(path, TARBALL);
  return (await stat(inside).catch(() => undefined)) ? inside : undefined;
}

/** A local model.tar.gz, or a folder holding one or its unpacked files. */
export async function loadLocalModel(source: string, trust: TrustPolicy = {}): Promise<Predictor> {
  const path = await tarballAt(source);
  const tarball = path === undefined ? undefined : await readModelTarball(path);
  return predictorFromBytes({ name: path ?? source, remote: false, tarball }, trust);
}

/**
 * The model a deployed function's environment names (serving/model-env.ts), fetched by `fetch`
 * and loaded once the trust policy and the manifest agree. The settings are read per load, not
 * at import, so a bad one fails that load with its name instead of crashing the init; each
 * function brings its own fetch (the API's SDK-free signed fetch, the monitor's S3 client).
 */
export async function predictorFromEnv(
  env: NodeJS.ProcessEnv,
  fetch: (location: S3Location) => Promise<Uint8Array>,
): Promise<Predictor> {
  const location = locationFromEnv(env);
  const trust = trustFromEnv(env);
  refuseUnvouched(s3Uri(location), true, trust);
  const tarball = await fetch(location);
  return predictorFromBytes({ name: s3Uri(location), remote: true, tarball }, trust);
}
