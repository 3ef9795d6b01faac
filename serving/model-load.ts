/**
 * A predictor from a model's bytes (a download) or a local path, once the deployer's trust policy
 * (model-trust.ts) and the manifest (core/artifact.ts) agree. No S3 client here: the Lambda's
 * bundle imports this without the AWS SDK.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { readArtifactFiles, readModelTarball, TARBALL, verifyArtifact } from "../core/artifact.js";
import { createPredictor, type Predictor } from "../core/predictor.js";
import { checkTrust, type ModelBytes, type TrustPolicy } from "./model-trust.js";

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
