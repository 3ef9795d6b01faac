/**
 * Whether a model is to be trusted, and what vouched for it. The manifest's hashes prove only
 * that the files agree with each other (anyone can re-seal a changed model); trust comes from
 * whoever deploys it:
 *   - a pinned sha256 of the model.tar.gz's bytes (`--sha256`, `MODEL_SHA256`, the stack), or of
 *     its manifest.json (`MODEL_MANIFEST_SHA256`: what a container that only sees the unpacked
 *     files can check; the manifest holds every other file's sha256), or
 *   - an Ed25519 signature of the manifest (signature.json) by a key they name (`--public-key`,
 *     `MODEL_PUBLIC_KEY`).
 * A remote model with neither is refused unless the deployer opts in (`--allow-unverified`,
 * `MODEL_ALLOW_UNVERIFIED=true`); a local one is loaded, labelled unverified: whoever can write
 * the file can also run the command.
 */
import type { KeyObject } from "node:crypto";
import type { Files } from "../core/archive.js";
import { ArtifactError, MANIFEST, SIGNATURE, sha256 } from "../core/artifact.js";
import { checkManifestSignature, keyFingerprint } from "../core/signature.js";

export interface TrustPolicy {
  /** Hex sha256 the model.tar.gz's bytes must have. */
  readonly sha256?: string | undefined;
  /** Hex sha256 the model's manifest.json must have. */
  readonly manifestSha256?: string | undefined;
  /** The key whose signature the model must carry. */
  readonly publicKey?: KeyObject | undefined;
  /** Load a remote model with neither of the above. */
  readonly allowUnverified?: boolean | undefined;
}

/** What checked a model: said in the load's log line, `/health` and the CLI's stderr. */
export type Verification = string;
export const UNVERIFIED_OPT_IN = "unverified (opt-in)";
export const UNVERIFIED_LOCAL = "unverified (local file)";

const SHA256 = /^[0-9a-f]{64}$/i;

/** A pin as given on the command line or in the environment, refused at start-up when malformed. */
export function parsePin(value: string | undefined, from: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!SHA256.test(value))
    throw new ArtifactError(
      `${from} must be 64 hex digits (a sha256), got ${JSON.stringify(value)}`,
    );
  return value.toLowerCase();
}

/** MODEL_ALLOW_UNVERIFIED: true or false, nothing else (a typo must not mean either silently). */
export function parseFlag(value: string | undefined, from: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ArtifactError(`${from} must be true or false, got ${JSON.stringify(value)}`);
}

/** Refuse, before anything is fetched, a remote model the policy can never vouch for. */
export function refuseUnvouched(name: string, remote: boolean, policy: TrustPolicy): void {
  if (
    remote &&
    !policy.sha256 &&
    !policy.manifestSha256 &&
    !policy.publicKey &&
    !policy.allowUnverified
  ) {
    throw new ArtifactError(
      `${name} is neither pinned by sha256 (--sha256 or MODEL_SHA256 for the model.tar.gz, ` +
        "MODEL_MANIFEST_SHA256 for its manifest.json) nor signed by a key you name " +
        "(--public-key, MODEL_PUBLIC_KEY): refusing a remote model no one vouched for " +
        "(--allow-unverified or MODEL_ALLOW_UNVERIFIED=true loads it anyway)",
    );
  }
}

export interface ModelBytes {
  /** Where the model came from, for messages. */
  readonly name: string;
  readonly remote: boolean;
  /** The model.tar.gz's bytes; undefined for a folder of unpacked files. */
  readonly tarball: Uint8Array | undefined;
}

/**
 * Refuse the model unless the policy is met, and say what vouched for it. The pin is checked
 * before the files are unpacked (bytes nobody vouched for are not even gunzipped); the files'
 * agreement with the manifest is verifyArtifact's job.
 */
export async function checkTrust(
  { name, remote, tarball }: ModelBytes,
  unpack: () => Promise<Files>,
  policy: TrustPolicy,
): Promise<{ files: Files; verification: Verification }> {
  refuseUnvouched(name, remote, policy);
  const checks: string[] = [];
  if (policy.sha256) {
    if (!tarball) {
      throw new ArtifactError(
        `${name} holds unpacked files, but a sha256 pin checks a model.tar.gz's bytes: point at the tarball, or pin its manifest.json (MODEL_MANIFEST_SHA256)`,
      );
    }
    const actual = sha256(tarball);
    if (actual !== policy.sha256.toLowerCase()) {
      throw new ArtifactError(
        `${name} has sha256 ${actual}, expected ${policy.sha256}: refusing the model`,
      );
    }
    checks.push("pinned sha256");
  }
  const files = await unpack();
  if (policy.manifestSha256) {
    const manifest = files.get(MANIFEST);
    const actual = manifest ? sha256(manifest) : `none (no ${MANIFEST})`;
    if (actual !== policy.manifestSha256.toLowerCase()) {
      throw new ArtifactError(
        `${name}: ${MANIFEST} has sha256 ${actual}, expected ${policy.manifestSha256}: refusing the model`,
      );
    }
    checks.push("pinned manifest sha256");
  }
  if (policy.publicKey) {
    const manifest = files.get(MANIFEST);
    const result = manifest
      ? checkManifestSignature(manifest, files.get(SIGNATURE), policy.publicKey)
      : { ok: false as const, reason: `${MANIFEST} is missing` };
    if (!result.ok) throw new ArtifactError(`${name} is refused: ${result.reason}`);
    checks.push(`signature by key ${keyFingerprint(policy.publicKey)}`);
  }
  if (checks.length > 0) return { files, verification: checks.join(" and ") };
  if (!remote) return { files, verification: UNVERIFIED_LOCAL };
  return { files, verification: UNVERIFIED_OPT_IN };
}
