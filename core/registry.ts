/**
 * The model registry's layout in a bucket: every model under its version,
 * `models/<version>/model.tar.gz` with a copy of its `manifest.json` beside it. The stacks write
 * it (components/model-bucket.ts), a stack pinned to a version serves from it
 * (components/model-registry.ts) and `iris-mlops models` reads it (cli/registry.ts).
 */
import { MANIFEST, TARBALL } from "./artifact.js";

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
