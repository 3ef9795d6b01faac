/**
 * The model registry's layout in a bucket: every model under its version,
 * `models/<version>/model.tar.gz` with a copy of its `manifest.json` beside it. The stacks write
 * it (components/model-bucket.ts), a stack pinned to a version serves from it
 * (components/model-registry.ts) and `iris-mlops models` reads it (cli/registry.ts).
 */
import {
  ArtifactError,
  MANIFEST,
  type Manifest,
  readArtifactFiles,
  TARBALL,
  verifyArtifact,
} from "./artifact.js";

export const MODELS_PREFIX = "models/";

/** A model version as the manifest's `model_version` has it: 16 lower-case hex digits. */
export const MODEL_VERSION = /^[0-9a-f]{16}$/;

export const isModelVersion = (text: string): boolean => MODEL_VERSION.test(text);

export const modelKeyFor = (version: string): string => `${MODELS_PREFIX}${version}/${TARBALL}`;
export const manifestKeyFor = (version: string): string => `${MODELS_PREFIX}${version}/${MANIFEST}`;

export type RegistryFile = typeof TARBALL | typeof MANIFEST;

/** Which version's file a key is, or undefined for an object that is not part of the registry. */
export function registryFile(key: string): { version: string; file: RegistryFile } | undefined {
  if (!key.startsWith(MODELS_PREFIX)) return undefined;
  const [version, file, ...rest] = key.slice(MODELS_PREFIX.length).split("/");
  if (rest.length > 0 || version === undefined || !isModelVersion(version)) return undefined;
  return file === TARBALL || file === MANIFEST ? { version, file } : undefined;
}

/** The versions that a list of keys holds a model.tar.gz for, sorted. */
export function registryVersions(keys: readonly string[]): string[] {
  return keys
    .map(registryFile)
    .filter((entry) => entry?.file === TARBALL)
    .map((entry) => entry?.version as string)
    .sort();
}

/** The versions there, for a message: all of them, or the first 20 and how many more. */
function named(versions: readonly string[]): string {
  const shown = versions.slice(0, 20).join(", ");
  return versions.length > 20 ? `${shown} and ${versions.length - 20} more` : shown;
}

/** What to say when `version` is not among the registry's `versions` (sorted as they should show). */
export function missingVersion(
  bucket: string,
  versions: readonly string[],
  version: string,
): string {
  const where = `s3://${bucket}/${MODELS_PREFIX}`;
  return versions.length === 0
    ? `model version ${version} is not in the registry: ${where} holds no model yet; deploy a trained model first`
    : `model version ${version} is not in the registry ${where}; it holds ${named(versions)} (iris-mlops models list --bucket ${bucket} shows them with their metrics)`;
}

/** A registry entry's tarball, verified as a front door would and holding the version its key names. */
export async function verifyEntry(
  uri: string,
  version: string,
  tarball: Uint8Array,
): Promise<{ manifest: Manifest; manifestBytes: Uint8Array }> {
  let files: Awaited<ReturnType<typeof readArtifactFiles>>;
  let manifest: Manifest;
  try {
    files = await readArtifactFiles(tarball);
    ({ manifest } = verifyArtifact(files));
  } catch (error) {
    throw new ArtifactError(`${uri}: ${(error as Error).message}`);
  }
  if (manifest.model_version !== version) {
    throw new ArtifactError(
      `${uri} holds model ${manifest.model_version}, not ${version}: it was put under the wrong version`,
    );
  }
  return { manifest, manifestBytes: files.get(MANIFEST) as Uint8Array };
}
