/** Where a model lives on S3, and the check both S3 readers make of its bytes. */
import { ArtifactError, sha256 } from "../core/artifact.js";

export interface S3Location {
  bucket: string;
  key: string;
  /** The hex sha256 the object's bytes must have, when set. */
  sha256?: string | undefined;
}

/** Refuse bytes whose sha256 is not the expected one (when one is expected). */
export function checkModelSha256(
  name: string,
  bytes: Uint8Array,
  expected: string | undefined,
): void {
  if (!expected) return;
  const actual = sha256(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new ArtifactError(
      `${name} has sha256 ${actual}, expected ${expected}: refusing the model`,
    );
  }
}
