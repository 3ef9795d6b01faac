/**
 * serving/model-trust.ts: the manifest's hashes are a checksum, not a proof of origin. A model
 * changed and re-sealed (hashes and model_version recomputed) passes the integrity check; only a
 * pin or a signature by the deployer's key keeps it out.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Files, packTarGz } from "../../core/archive.js";
import {
  COMPILED_JSON,
  loadArtifact,
  MANIFEST,
  type Manifest,
  MODEL_JSON,
  SIGNATURE,
  sealArtifact,
  sha256,
} from "../../core/artifact.js";
import { keyFingerprint, signManifest } from "../../core/signature.js";
import { loadLocalModel, predictorFromBytes } from "../../serving/model-load.js";
import type { TrustPolicy } from "../../serving/model-trust.js";
import { signArtifact } from "../../training/write.js";
import { runCli } from "../helpers/cli.js";
import { rowOf, SETOSA, type TrainedModel, tempDir, trainedModel } from "../helpers/model.js";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const REMOTE = "s3://models/iris/model.tar.gz";
const keyPair = () => generateKeyPairSync("ed25519");

/** The model with every split threshold negated, re-sealed as `train` would seal it. */
function resealTampered(model: TrainedModel): Files {
  const {
    format: _f,
    model_version: _v,
    files: _l,
    ...body
  } = JSON.parse(text(model.files.get(MANIFEST))) as Manifest;
  const compiled = JSON.parse(text(model.files.get(COMPILED_JSON)));
  compiled.forest.threshold = compiled.forest.threshold.map((t: number) => -t - 1);
  return sealArtifact(body, {
    [MODEL_JSON]: text(model.files.get(MODEL_JSON)),
    [COMPILED_JSON]: JSON.stringify(compiled),
  });
}

describe("serving/model-trust.ts: a re-sealed model", () => {
  let model: TrainedModel;
  let deployer: { privateKey: KeyObject; publicKey: KeyObject };
  let attacker: { privateKey: KeyObject; publicKey: KeyObject };
  let resealed: Files;
  const load = async (files: Files, trust: TrustPolicy) =>
    predictorFromBytes({ name: REMOTE, remote: true, tarball: await packTarGz(files) }, trust);

  before(async () => {
    model = await trainedModel();
    deployer = keyPair();
    attacker = keyPair();
    resealed = resealTampered(model);
  });

  it("passes the integrity check and answers differently: the manifest proves nothing", async () => {
    const artifact = await loadArtifact(await packTarGz(resealed));
    assert.notEqual(artifact.manifest.model_version, model.modelVersion);
    const predictor = await loadLocalModel(await writeTarball(resealed));
    assert.notDeepEqual(predictor.predict(rowOf(SETOSA)), model.predictor.predict(rowOf(SETOSA)));
    assert.equal(predictor.verification, "unverified (local file)");
  });

  it("is refused from S3 with neither a pin nor a key, and loads only on explicit opt-in", async () => {
    await assert.rejects(
      load(resealed, {}),
      /neither pinned by sha256 .* nor signed by a key you name/,
    );
    const optedIn = await load(resealed, { allowUnverified: true });
    assert.equal(optedIn.verification, "unverified (opt-in)");
  });

  it("is refused with the genuine model's pin", async () => {
    await assert.rejects(
      load(resealed, { sha256: model.sha256 }),
      new RegExp(`expected ${model.sha256}: refusing the model`),
    );
  });

  it("is refused when signed by another key than the deployer's", async () => {
    await assert.rejects(
      load(signArtifact(resealed, attacker.privateKey), { publicKey: deployer.publicKey }),
      new RegExp(
        `signed by key ${keyFingerprint(attacker.publicKey)}, not by ${keyFingerprint(deployer.publicKey)}`,
      ),
    );
  });

  it("is refused carrying the genuine signature, or another key's claiming the deployer's name", async () => {
    const genuine = signArtifact(model.files, deployer.privateKey);
    const withGenuineSignature = new Map([
      ...resealed,
      [SIGNATURE, genuine.get(SIGNATURE) as Uint8Array],
    ]);
    await assert.rejects(
      load(withGenuineSignature, { publicKey: deployer.publicKey }),
      /signature does not verify/,
    );
    const forged = JSON.parse(
      text(signManifest(resealed.get(MANIFEST) as Uint8Array, attacker.privateKey)),
    );
    forged.key = keyFingerprint(deployer.publicKey);
    const claiming = new Map([
      ...resealed,
      [SIGNATURE, new TextEncoder().encode(JSON.stringify(forged))],
    ]);
    await assert.rejects(
      load(claiming, { publicKey: deployer.publicKey }),
      /signature does not verify/,
    );
    await assert.rejects(load(resealed, { publicKey: deployer.publicKey }), /it is not signed/);
  });

  it("is refused locally too, once the user names a key or a pin", async () => {
    const path = await writeTarball(resealed);
    await assert.rejects(loadLocalModel(path, { publicKey: deployer.publicKey }), /not signed/);
    await assert.rejects(loadLocalModel(path, { sha256: model.sha256 }), /refusing the model/);
  });

  it("the genuine model loads, saying what vouched for it", async () => {
    const signed = signArtifact(model.files, deployer.privateKey);
    const fingerprint = keyFingerprint(deployer.publicKey);
    assert.equal(
      (await load(signed, { publicKey: deployer.publicKey })).verification,
      `signature by key ${fingerprint}`,
    );
    const tarball = await packTarGz(signed);
    const both = await predictorFromBytes(
      { name: REMOTE, remote: true, tarball },
      { sha256: sha256(tarball), publicKey: deployer.publicKey },
    );
    assert.equal(both.verification, `pinned sha256 and signature by key ${fingerprint}`);
    assert.deepEqual(both.predict(rowOf(SETOSA)), model.predictor.predict(rowOf(SETOSA)));
  });

  it("end to end: keygen, train --sign-key, predict --public-key (and refusal with another key)", async () => {
    const dir = await tempDir("trust-cli-");
    const keygen = await runCli(["keygen", "--out", dir]);
    assert.equal(keygen.code, 0, keygen.stderr);
    const fingerprint = /key (ed25519:[0-9a-f]{16})/.exec(keygen.stdout)?.[1];
    assert.ok(fingerprint, keygen.stdout);
    const out = join(dir, "model");
    const trained = await runCli([
      "train",
      "--trees",
      "5",
      "--folds",
      "2",
      "--out",
      out,
      "--sign-key",
      join(dir, "model-signing-key.pem"),
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const input = `${rowOf(SETOSA).join(",")}\n`;
    const ok = await runCli(
      ["predict", "--model", out, "--public-key", join(dir, "model-signing-key.pub.pem")],
      { input },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, new RegExp(`: signature by key ${fingerprint}\\n`));
    const other = join(dir, "other.pub.pem");
    await writeFile(other, attacker.publicKey.export({ type: "spki", format: "pem" }));
    const refused = await runCli(["predict", "--model", out, "--public-key", other], { input });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is refused: it is signed by key/);
    assert.equal(refused.stdout, "");
  });
});

async function writeTarball(files: Files): Promise<string> {
  const path = join(await tempDir("trust-"), "model.tar.gz");
  await writeFile(path, await packTarGz(files));
  return path;
}
