/**
 * The model registry of a bucket (core/registry.ts) read through the S3 API for `iris-mlops
 * models`: the listing of `models/` (ListObjectsV2, paged), then each version's tarball,
 * verified as a front door verifies it, and its manifest.json checked against the tarball's own.
 * Every call keeps to the front doors' S3 budget (serving/model-retry.ts): a timeout per attempt,
 * bounded retries of what may pass, a deadline per call.
 */
import {
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type Manifest, sha256 } from "../core/artifact.js";
import {
  MODELS_PREFIX,
  manifestKeyFor,
  modelKeyFor,
  registryFile,
  verifyEntry,
} from "../core/registry.js";
import { checkBucket } from "../serving/model-location.js";
import { type AttemptLog, withRetries } from "../serving/model-retry.js";
import { fetchModelBytes, s3ClientFromEnv, sdkFailure } from "../serving/model-source.js";

/** One version's objects, as the listing shows them. */
export interface ListedVersion {
  readonly version: string;
  /** When its model.tar.gz was last uploaded; undefined when there is none. */
  readonly created?: Date;
  /** Size of its model.tar.gz. */
  readonly bytes?: number;
  readonly hasManifest: boolean;
}

export interface Listing {
  readonly bucket: string;
  /** Newest first (by the tarball's upload time), then by version. */
  readonly versions: ListedVersion[];
  /** Keys under models/ that are not a version's model.tar.gz or manifest.json. */
  readonly strays: string[];
}

/** A version read and verified. */
export interface ReadVersion extends ListedVersion {
  readonly uri: string;
  readonly manifest: Manifest;
  /** sha256 of the model.tar.gz: what `serve --sha256` and the Lambda pin. */
  readonly sha256: string;
}

/** A registry entry that cannot be used: corrupt, incomplete, or not what its key says. */
export class RegistryEntryError extends Error {
  override readonly name = "RegistryEntryError";
}

/** Pages of 1000 keys at most (S3's own page); a registry holds two keys a version. */
const MAX_PAGES = 100;

export interface RegistryReader {
  readonly bucket: string;
  list(): Promise<Listing>;
  read(listed: ListedVersion): Promise<ReadVersion>;
}

export function registryReader(
  bucket: string,
  {
    client = s3ClientFromEnv(),
    log = () => undefined,
  }: { client?: S3Client; log?: AttemptLog } = {},
): RegistryReader {
  checkBucket(bucket);
  const uri = (key: string) => `s3://${bucket}/${key}`;

  async function page(token: string | undefined): Promise<ListObjectsV2CommandOutput> {
    return withRetries(
      uri(MODELS_PREFIX),
      async ({ signal, answered }) => {
        try {
          const command = new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: MODELS_PREFIX,
            ContinuationToken: token,
          });
          const output = await client.send(command, { abortSignal: signal });
          answered();
          return output;
        } catch (error) {
          throw sdkFailure(error);
        }
      },
      log,
    );
  }

  async function list(): Promise<Listing> {
    const found = new Map<string, { created?: Date; bytes?: number; hasManifest: boolean }>();
    const strays: string[] = [];
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const output = await page(token);
      for (const object of output.Contents ?? []) {
        const key = object.Key ?? "";
        const file = registryFile(key);
        if (!file) {
          strays.push(key);
          continue;
        }
        const entry = found.get(file.version) ?? { hasManifest: false };
        if (file.file === "manifest.json") entry.hasManifest = true;
        else Object.assign(entry, { created: object.LastModified, bytes: object.Size });
        found.set(file.version, entry);
      }
      if (!output.IsTruncated) break;
      token = output.NextContinuationToken;
      if (!token) {
        // the rest of the keys are out of reach: saying "no model" or a short list would lie
        throw new Error(
          `the listing of ${uri(MODELS_PREFIX)} was cut short by S3: truncated, with no continuation token to read the rest`,
        );
      }
      if (n === MAX_PAGES - 1) {
        throw new Error(`${uri(MODELS_PREFIX)} holds more than ${MAX_PAGES} pages of keys`);
      }
    }
    const versions = [...found].map(([version, entry]) => ({ version, ...entry }));
    versions.sort(
      (x, y) =>
        (y.created?.getTime() ?? 0) - (x.created?.getTime() ?? 0) ||
        x.version.localeCompare(y.version),
    );
    return { bucket, versions, strays };
  }

  async function read(listed: ListedVersion): Promise<ReadVersion> {
    const key = modelKeyFor(listed.version);
    if (listed.bytes === undefined) {
      throw new RegistryEntryError(
        `${uri(manifestKeyFor(listed.version))} has no ${uri(key)} beside it: the upload is incomplete`,
      );
    }
    const tarball = await fetchModelBytes(client, { bucket, key }, { log });
    const { manifest, manifestBytes } = await verifyEntry(uri(key), listed.version, tarball).catch(
      (error: Error) => {
        throw new RegistryEntryError(error.message);
      },
    );
    if (listed.hasManifest) {
      const beside = await fetchModelBytes(
        client,
        { bucket, key: manifestKeyFor(listed.version) },
        { log },
      );
      if (!Buffer.from(beside).equals(manifestBytes)) {
        throw new RegistryEntryError(
          `${uri(manifestKeyFor(listed.version))} differs from the manifest.json inside ${uri(key)}, which is the one that holds`,
        );
      }
    }
    return { ...listed, uri: uri(key), manifest, sha256: sha256(tarball) };
  }

  return { bucket, list, read };
}

/** Read several versions, a few at a time; each settles on its own. */
export async function readAll(
  reader: RegistryReader,
  versions: readonly ListedVersion[],
  parallel = 4,
): Promise<PromiseSettledResult<ReadVersion>[]> {
  const results: PromiseSettledResult<ReadVersion>[] = new Array(versions.length);
  let next = 0;
  const worker = async () => {
    while (next < versions.length) {
      const i = next++;
      results[i] = await reader.read(versions[i] as ListedVersion).then(
        (value) => ({ status: "fulfilled", value }) as const,
        (reason: unknown) => ({ status: "rejected", reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, versions.length) }, worker));
  return results;
}
