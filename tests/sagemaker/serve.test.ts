/**
 * sagemaker/serve.ts: the endpoint's /opt/ml/model came from S3 (SageMaker unpacked the Model's
 * ModelDataUrl into it), so it is held to the policy for remote models: pinned by its
 * manifest's sha256 (the stack passes it), signed by a named key, or refused unless opted in.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { MANIFEST, sha256 } from "../../core/artifact.js";
import { keyFingerprint } from "../../core/signature.js";
import { loadEndpointModel } from "../../sagemaker/serve.js";
import { signArtifact } from "../../training/write.js";
import { AppServers } from "../helpers/app-servers.js";
import { resealWithCompiled } from "../helpers/archive.js";
import { type TrainedModel, trainedModel, unpackedFolder } from "../helpers/trained.js";

describe("sagemaker/serve.ts: the model SageMaker unpacked into /opt/ml/model", () => {
  let model: TrainedModel;
  let dir: string;
  let manifestSha256: string;
  before(async () => {
    model = await trainedModel();
    dir = await unpackedFolder(model.files);
    manifestSha256 = sha256(model.files.get(MANIFEST) as Uint8Array);
  });

  it("is refused with no pin, no key and no opt-in, saying which variable to set", async () => {
    await assert.rejects(loadEndpointModel(dir, {}), (error: Error) => {
      assert.match(error.message, new RegExp(`^${dir} is neither pinned`));
      for (const name of [
        "MODEL_MANIFEST_SHA256",
        "MODEL_PUBLIC_KEY",
        "MODEL_ALLOW_UNVERIFIED=true",
      ])
        assert.ok(error.message.includes(name), `${name} in ${error.message}`);
      return true;
    });
  });

  it("loads when MODEL_MANIFEST_SHA256 is its manifest's sha256, saying so", async () => {
    const predictor = await loadEndpointModel(dir, { MODEL_MANIFEST_SHA256: manifestSha256 });
    assert.equal(predictor.verification, "pinned manifest sha256");
    assert.equal(predictor.modelVersion, model.predictor.modelVersion);
  });

  it("a re-sealed model is refused with the genuine model's pin", async () => {
    const resealed = await unpackedFolder(
      resealWithCompiled(model.files, (c) => {
        (c.forest.threshold as number[])[0] = 2.5;
      }),
    );
    await assert.rejects(
      loadEndpointModel(resealed, { MODEL_MANIFEST_SHA256: manifestSha256.toUpperCase() }),
      new RegExp(`manifest\\.json has sha256 [0-9a-f]{64}, expected ${manifestSha256}: refusing`),
    );
  });

  it("loads signed by the key MODEL_PUBLIC_KEY names, and is refused unsigned", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const signed = await unpackedFolder(signArtifact(model.files, privateKey));
    const predictor = await loadEndpointModel(signed, { MODEL_PUBLIC_KEY: pem });
    assert.equal(predictor.verification, `signature by key ${keyFingerprint(publicKey)}`);
    await assert.rejects(loadEndpointModel(dir, { MODEL_PUBLIC_KEY: pem }), /it is not signed/);
  });

  it("serves it with the model's version in the custom attributes InvokeEndpoint hands back", async () => {
    const servers = new AppServers();
    try {
      const predictor = await loadEndpointModel(dir, { MODEL_MANIFEST_SHA256: manifestSha256 });
      const { port } = await servers.serve(predictor);
      const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
        method: "POST",
        headers: { "content-type": "text/csv", accept: "text/csv" },
        body: "5.1,3.5,1.4,0.2\n",
      });
      assert.equal(res.status, 200, await res.text());
      assert.equal(
        res.headers.get("x-amzn-sagemaker-custom-attributes"),
        `model-version=${model.predictor.modelVersion}`,
      );
      assert.equal(res.headers.get("x-model-version"), model.predictor.modelVersion);
    } finally {
      await servers.closeAll();
    }
  });

  it("loads on MODEL_ALLOW_UNVERIFIED=true, labelled as the opt-in it is", async () => {
    const predictor = await loadEndpointModel(dir, { MODEL_ALLOW_UNVERIFIED: "true" });
    assert.equal(predictor.verification, "unverified (opt-in)");
  });

  it("refuses MODEL_SHA256 (the tarball's, which the container never sees) and a malformed pin, naming what to use", async () => {
    await assert.rejects(
      loadEndpointModel(dir, { MODEL_SHA256: sha256(model.tarball) }),
      /holds unpacked files, but a sha256 pin checks a model\.tar\.gz's bytes.*MODEL_MANIFEST_SHA256/,
    );
    await assert.rejects(
      loadEndpointModel(dir, { MODEL_MANIFEST_SHA256: "abc" }),
      /MODEL_MANIFEST_SHA256 must be 64 hex digits/,
    );
  });
});
