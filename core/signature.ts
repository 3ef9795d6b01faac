/**
 * Ed25519 signatures of a model, detached in `signature.json` inside the artifact. What is signed
 * is the manifest's bytes: the manifest carries the sha256 of every other file, and loading checks
 * each file against it, so a valid signature of the manifest vouches for the whole model. Signing
 * the manifest rather than the tarball lets the signature travel inside the tarball and survive
 * SageMaker unpacking it into /opt/ml/model.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { SIGNATURE, sha256 } from "./artifact.js";
export const SIGNATURE_ALGORITHM = "ed25519";

export interface SignatureFile {
  algorithm: typeof SIGNATURE_ALGORITHM;
  /** Fingerprint of the public key that verifies it (see keyFingerprint). */
  key: string;
  /** Base64 Ed25519 signature of manifest.json's bytes. */
  signature: string;
}

export class KeyError extends Error {
  override readonly name = "KeyError";
}

/** `ed25519:` and the first 16 hex digits of the sha256 of the public key (SPKI DER). */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return `ed25519:${sha256(publicKey.export({ type: "spki", format: "der" })).slice(0, 16)}`;
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new KeyError(`${what} is a ${key.asymmetricKeyType} key; an Ed25519 key is needed`);
  }
  return key;
}

/**
 * A public key from PEM text. A private key is refused, though node would derive its public
 * half: pasted into MODEL_PUBLIC_KEY it would sit in the function's or the model's settings,
 * where whoever may read them could sign models.
 */
export function parsePublicKey(pem: string, what = "the public key"): KeyObject {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new KeyError(
      `${what} is a private key; give its public half (iris-mlops keygen writes it to model-signing-key.pub.pem) and keep the private key out of the deployment`,
    );
  }
  try {
    return ed25519(createPublicKey(pem), what);
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw new KeyError(`${what} is not a PEM public key (${(error as Error).message})`);
  }
}

export function parsePrivateKey(pem: string, what = "the signing key"): KeyObject {
  try {
    return ed25519(createPrivateKey(pem), what);
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw new KeyError(`${what} is not a PEM private key (${(error as Error).message})`);
  }
}

export function signManifest(manifest: Uint8Array, privateKey: KeyObject): Uint8Array {
  const file: SignatureFile = {
    algorithm: SIGNATURE_ALGORITHM,
    key: keyFingerprint(privateKey),
    signature: sign(null, manifest, privateKey).toString("base64"),
  };
  return new TextEncoder().encode(`${JSON.stringify(file)}\n`);
}

/**
 * Whether `signatureFile` is a valid signature of `manifest` by `publicKey`; when not, why not,
 * in words that name both keys.
 */
export function checkManifestSignature(
  manifest: Uint8Array,
  signatureFile: Uint8Array | undefined,
  publicKey: KeyObject,
): { ok: true } | { ok: false; reason: string } {
  const expected = keyFingerprint(publicKey);
  if (!signatureFile) return { ok: false, reason: `it is not signed (no ${SIGNATURE})` };
  let parsed: Partial<SignatureFile>;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(signatureFile));
  } catch {
    return { ok: false, reason: `${SIGNATURE} is not valid JSON` };
  }
  if (parsed?.algorithm !== SIGNATURE_ALGORITHM || typeof parsed.signature !== "string") {
    return { ok: false, reason: `${SIGNATURE} is not an ${SIGNATURE_ALGORITHM} signature` };
  }
  if (parsed.key !== expected) {
    return { ok: false, reason: `it is signed by key ${String(parsed.key)}, not by ${expected}` };
  }
  const valid = verify(null, manifest, publicKey, Buffer.from(parsed.signature, "base64"));
  return valid
    ? { ok: true }
    : {
        ok: false,
        reason: `its signature does not verify with key ${expected}: the manifest was changed after signing`,
      };
}
