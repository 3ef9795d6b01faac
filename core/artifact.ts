/**
 * The model artifact: `model.json` (ml-random-forest's own toJSON, for anyone who wants the
 * library back), `compiled.json` (what the core predicts with) and `manifest.json`, which
 * describes the model and carries the sha256 of every other file. Packed as a reproducible
 * `model.tar.gz`; loaded from a folder, a `.tar.gz` path or the tarball's bytes.
 *
 * Format 2 (written since issue 13) stores the forest compactly (forest-format.ts); format 1
 * artifacts, with every forest array spelled out, still load, to the same predictor.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod/mini";
import { type Files, MODEL_CAPS, ModelTooLargeError, mib, unpackTarGz } from "./archive.js";
import { FEATURES } from "./features.js";
import { type CompiledForest, checkCompiledForest } from "./forest.js";
import { packForest, unpackForest } from "./forest-format.js";
import type { NoveltyModel } from "./novelty.js";
import { TarLayoutError } from "./tar-end.js";
import { trainingProfileSchema } from "./training-profile-schema.js";
import { safeParseEnglish } from "./zod-english.js";

export const ARTIFACT_FORMAT = "iris-mlops.model/2";
/** The first format: compiled.json with roots, right children and a threshold for every node. */
export const ARTIFACT_FORMAT_1 = "iris-mlops.model/1";
export type ArtifactFormat = typeof ARTIFACT_FORMAT | typeof ARTIFACT_FORMAT_1;
export const MANIFEST = "manifest.json";
export const MODEL_JSON = "model.json";
export const COMPILED_JSON = "compiled.json";
export const TARBALL = "model.tar.gz";
/** The Ed25519 signature of the manifest (core/signature.ts): not listed in it, as it signs it. */
export const SIGNATURE = "signature.json";

export const sha256 = (bytes: Uint8Array | string): string =>
  createHash("sha256").update(bytes).digest("hex");

const int = z.int();
const hex = (length: number) => z.string().check(z.regex(new RegExp(`^[0-9a-f]{${length}}$`)));
const manifestSchema = z.looseObject({
  format: z.literal([ARTIFACT_FORMAT, ARTIFACT_FORMAT_1]),
  model_version: hex(16),
  features: z
    .array(z.object({ name: z.string(), unit: z.string(), min: z.number(), max: z.number() }))
    .check(
      z.refine(
        (f) => f.map((x) => x.name).join() === FEATURES.join(),
        `features must be ${FEATURES.join(", ")}`,
      ),
    ),
  classes: z.array(z.string().check(z.minLength(1))).check(z.minLength(2)),
  hyperparameters: z.record(z.string(), z.unknown()),
  metrics: z.looseObject({ accuracy: z.number() }),
  libraries: z.record(z.string(), z.string()),
  files: z.record(z.string(), z.object({ sha256: hex(64), bytes: int })),
  /** What the training data looked like, for drift (issue #11); older artifacts have none. */
  training_profile: z.optional(trainingProfileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;

const noveltySchema = z.object({
  method: z.literal("mahalanobis-nearest-class"),
  means: z.array(z.array(z.number()).check(z.length(FEATURES.length))),
  precisions: z.array(z.array(z.number()).check(z.length(FEATURES.length ** 2))),
  threshold: z.number(),
});
const forestHead = { classes: int.check(z.minimum(2)), features: z.literal(FEATURES.length) };

/** compiled.json of format 2: the forest as forest-format.ts stores it. */
const compiledSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  forest: z.object({ ...forestHead, feature: z.array(int), threshold: z.array(z.number()) }),
  novelty: noveltySchema,
});

/** compiled.json of format 1: every array of the CompiledForest. */
const compiledSchema1 = z.object({
  format: z.literal(ARTIFACT_FORMAT_1),
  forest: z.object({
    ...forestHead,
    roots: z.array(int),
    feature: z.array(int),
    threshold: z.array(z.number()),
    right: z.array(int),
  }),
  novelty: noveltySchema,
});

/** The model the core predicts with, whatever format its file had (`format` says which). */
export interface CompiledModel {
  readonly format: ArtifactFormat;
  readonly forest: CompiledForest;
  readonly novelty: NoveltyModel;
}

/** A loaded, verified artifact: what the predictor is built from. */
export interface Artifact {
  readonly manifest: Manifest;
  readonly compiled: CompiledModel;
}

export class ArtifactError extends Error {
  override readonly name = "ArtifactError";
}

/** compiled.json's text for a model, in the current format. */
export function compiledJson({ forest, novelty }: CompiledModel): string {
  return canonicalJson({ format: ARTIFACT_FORMAT, forest: packForest(forest), novelty });
}

/** Stable JSON: keys sorted at every depth, so equal content is equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** The model version of a manifest's content (every field but model_version itself). */
const versionOf = (body: object): string => sha256(canonicalJson(body)).slice(0, 16);

/** The one spelling of a manifest: canonical JSON and a newline. */
const manifestText = (manifest: object): string => `${canonicalJson(manifest)}\n`;

/**
 * Seal the artifact's files: hash each one, and derive the model version from the manifest's
 * content (files' hashes included), so the same model always gets the same version and any
 * change to the model gets a new one.
 */
export function sealArtifact(
  manifest: Omit<Manifest, "format" | "model_version" | "files">,
  files: { [MODEL_JSON]: string; [COMPILED_JSON]: string },
): Files {
  const listed = Object.fromEntries(
    Object.entries(files).map(([name, text]) => [
      name,
      { sha256: sha256(text), bytes: Buffer.byteLength(text) },
    ]),
  );
  const body = { format: ARTIFACT_FORMAT, ...manifest, files: listed };
  const full = { ...body, model_version: versionOf(body) };
  const encoder = new TextEncoder();
  return new Map([
    [MANIFEST, encoder.encode(manifestText(full))],
    ...Object.entries(files).map(
      ([name, text]) => [name, encoder.encode(text)] as [string, Uint8Array],
    ),
  ]);
}

function parseJson(name: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ArtifactError(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

function schemaError(name: string, error: z.core.$ZodError): ArtifactError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  return new ArtifactError(
    `${name} is malformed at ${issue.path.join(".") || "top level"}: ${issue.message}`,
  );
}

/** Check every file against the manifest; return the parsed, verified artifact. */
export function verifyArtifact(files: Files): Artifact {
  const manifestBytes = files.get(MANIFEST);
  if (!manifestBytes) throw new ArtifactError(`${MANIFEST} is missing`);
  const raw = parseJson(MANIFEST, manifestBytes);
  const parsedManifest = safeParseEnglish(manifestSchema, raw);
  if (!parsedManifest.success) throw schemaError(MANIFEST, parsedManifest.error);
  const manifest = parsedManifest.data;
  const mix = manifest.training_profile?.class_mix;
  if (mix && Object.keys(mix).sort().join() !== [...manifest.classes].sort().join()) {
    throw new ArtifactError(
      `${MANIFEST} is malformed at training_profile.class_mix: it names ${Object.keys(mix).join(", ")}, the model's classes are ${manifest.classes.join(", ")}`,
    );
  }
  // the version covers what was read, not what the schema kept (it drops unknown nested keys),
  // and the bytes must be its one spelling: then no byte of the manifest is outside the version
  // (or the signature, which signs these bytes)
  const { model_version: _, ...body } = raw as Manifest;
  if (versionOf(body) !== manifest.model_version) {
    throw new ArtifactError(
      `${MANIFEST} does not match its model_version ${manifest.model_version}: it was edited`,
    );
  }
  if (!Buffer.from(manifestText(raw as Manifest)).equals(manifestBytes)) {
    throw new ArtifactError(
      `${MANIFEST} is not in the canonical form train writes (keys sorted, no spaces, numbers ` +
        "and strings as JSON.stringify writes them, one final newline): it was re-encoded or " +
        "edited after sealing. Use the manifest.json train wrote, or retrain (iris-mlops train)",
    );
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = files.get(name);
    if (!bytes) throw new ArtifactError(`${name} is missing (listed in ${MANIFEST})`);
    const actual = sha256(bytes);
    if (actual !== expected.sha256) {
      throw new ArtifactError(
        `${name} is corrupt or tampered with: sha256 ${actual}, ${MANIFEST} says ${expected.sha256}`,
      );
    }
  }
  const compiledBytes = files.get(COMPILED_JSON);
  if (!compiledBytes || !manifest.files[COMPILED_JSON])
    throw new ArtifactError(`${COMPILED_JSON} is missing`);
  const compiledRaw = parseJson(COMPILED_JSON, compiledBytes);
  const compiled =
    manifest.format === ARTIFACT_FORMAT
      ? safeParseEnglish(compiledSchema, compiledRaw)
      : safeParseEnglish(compiledSchema1, compiledRaw);
  if (!compiled.success) throw schemaError(COMPILED_JSON, compiled.error);
  if (compiled.data.forest.classes !== manifest.classes.length) {
    throw new ArtifactError(
      `${COMPILED_JSON} has ${compiled.data.forest.classes} classes, ${MANIFEST} names ${manifest.classes.length}`,
    );
  }
  // the structure the predictor relies on, checked here so that a bad file is an ArtifactError
  // at load time rather than a plain Error (or a TypeError at the first prediction)
  let forest: CompiledForest;
  try {
    const stored = compiled.data.forest;
    forest = "right" in stored ? stored : unpackForest(stored);
    checkCompiledForest(forest);
  } catch (error) {
    throw new ArtifactError(
      `${COMPILED_JSON} holds a malformed forest: ${(error as Error).message}`,
    );
  }
  const { means, precisions } = compiled.data.novelty;
  if (means.length !== manifest.classes.length || precisions.length !== means.length) {
    throw new ArtifactError(
      `${COMPILED_JSON} has a novelty model with ${means.length} means and ${precisions.length} precisions, ${MANIFEST} names ${manifest.classes.length} classes`,
    );
  }
  return { manifest, compiled: { ...compiled.data, forest } };
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** A local file, refused before it is read when it is over `cap` (a model is never that big). */
async function readCapped(path: string, cap: number, what: string): Promise<Buffer> {
  const info = await stat(path);
  // a device or a FIFO reports size 0 and never ends (a tarball can carry a link to /dev/zero)
  if (!info.isFile()) throw new ArtifactError(`${path} is not a regular file`);
  if (info.size > cap) {
    throw new ArtifactError(`${path} is ${info.size} bytes, over the ${mib(cap)} cap on ${what}`);
  }
  return readFile(path);
}

const statModel = (path: string) =>
  stat(path).catch((error: Error) => {
    throw new ArtifactError(`cannot read the model at ${path} (${error.message})`);
  });

/** A model.tar.gz file's bytes, refused unread when over the cap. */
export async function readModelTarball(path: string): Promise<Buffer> {
  await statModel(path);
  return readCapped(path, MODEL_CAPS.compressedBytes, "a model.tar.gz");
}

/**
 * Read the artifact's files from a folder (only the manifest, what it lists and its signature),
 * a .tar.gz file or its bytes (`name` says where they came from, for messages).
 */
export async function readArtifactFiles(
  source: string | Uint8Array,
  name?: string,
): Promise<Files> {
  let bytes: Uint8Array;
  // name the file when there is one: "the model is not a .tar.gz" alone does not say which
  const from = typeof source === "string" ? source : name;
  const where = from === undefined ? "" : `${from}: `;
  if (typeof source === "string") {
    const info = await statModel(source);
    if (info.isDirectory()) {
      const names = new Set(await readdir(source));
      // a training output folder holds the tarball (and a copy of its manifest); SageMaker's
      // /opt/ml/model holds the tarball's files unpacked
      if (names.has(TARBALL)) return readArtifactFiles(join(source, TARBALL));
      if (!names.has(MANIFEST))
        throw new ArtifactError(`${source} holds no ${TARBALL} and no ${MANIFEST}`);
      const files: Files = new Map();
      const manifest = await readCapped(
        join(source, MANIFEST),
        MODEL_CAPS.entryBytes,
        "one file of a model",
      );
      files.set(MANIFEST, manifest);
      const listed =
        (parseJson(MANIFEST, manifest) as { files?: Record<string, unknown> }).files ?? {};
      const wanted = Object.keys(listed);
      if (names.has(SIGNATURE)) wanted.push(SIGNATURE);
      if (wanted.length >= MODEL_CAPS.entries) {
        throw new ArtifactError(
          `${MANIFEST} lists more than ${MODEL_CAPS.entries} files, the cap on a model`,
        );
      }
      // sizes first, so that a folder over the cap is refused before any of it is read
      let total = manifest.length;
      for (const name of wanted) {
        if (name.includes("/") || !names.has(name))
          throw new ArtifactError(`${name} is missing (listed in ${MANIFEST})`);
        total += (await stat(join(source, name))).size;
        if (total > MODEL_CAPS.unpackedBytes) {
          throw new ArtifactError(
            `${source} holds more than ${mib(MODEL_CAPS.unpackedBytes)} of model files, the cap on a model`,
          );
        }
      }
      for (const name of wanted) {
        const body = await readCapped(
          join(source, name),
          MODEL_CAPS.entryBytes,
          "one file of a model",
        );
        files.set(name, body);
      }
      return files;
    }
    bytes = await readModelTarball(source);
  } else {
    bytes = source;
  }
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    throw new ArtifactError(`${where}the model is not a .tar.gz (no gzip header)`);
  }
  try {
    return await unpackTarGz(bytes);
  } catch (error) {
    if (error instanceof ModelTooLargeError || error instanceof TarLayoutError) {
      throw new ArtifactError(`${where}${error.message}`);
    }
    throw new ArtifactError(
      `${where}the model archive is truncated or corrupt: ${(error as Error).message}`,
    );
  }
}

export async function loadArtifact(source: string | Uint8Array): Promise<Artifact> {
  return verifyArtifact(await readArtifactFiles(source));
}
