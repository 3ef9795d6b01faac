/**
 * The stack's side of the model registry (core/registry.ts): what a serving role may read, and
 * the lookup of a version already in the bucket, for a stack pinned to it (a rollback by version).
 * The lookup goes through the provider's data sources, so it runs in `pulumi preview` as in
 * `pulumi up`: an unknown version stops the run before anything changes, naming the versions
 * there, and the tarball found is verified as a front door would before any function or endpoint
 * is pointed at it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../core/artifact.js";
import {
  MODELS_PREFIX,
  missingVersion,
  modelKeyFor,
  registryVersions,
  verifyEntry,
} from "../core/registry.js";

/** A pinned version that cannot be served: said without a stack trace, like a config error. */
export class RegistryError extends pulumi.RunError {
  override readonly name = "RegistryError";
}

/** A model in the registry, as the serving components are given it. */
export interface RegisteredModel {
  readonly modelVersion: string;
  /** `models/<version>/model.tar.gz`. */
  readonly key: string;
  /** sha256 (hex) of the tarball's bytes: what the front doors pin. */
  readonly sha256: string;
  /** sha256 (hex) of its manifest.json: what the SageMaker container, which sees it unpacked, pins. */
  readonly manifestSha256: string;
}

/** Keys listed to name the versions there when a pinned one is missing; the provider pages up to it. */
const MAX_LISTED = 10000;

/**
 * ARN pattern of every object under the bucket's `models/` prefix: what a serving role reads.
 * Any version, not only the one it serves, since during a rollout the stable version serves
 * beside the new one; nothing outside the registry. A key outside it is refused: the role could
 * not read it.
 */
export function registryObjectsArn(
  partition: pulumi.Input<string>,
  bucketName: pulumi.Input<string>,
  modelKey: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.all([partition, bucketName, modelKey]).apply(([p, bucket, key]) => {
    if (!key.startsWith(MODELS_PREFIX)) {
      throw new RegistryError(
        `the model key ${key} is outside the registry prefix ${MODELS_PREFIX}: serving roles may read only models/<version>/…`,
      );
    }
    return `arn:${p}:s3:::${bucket}/${MODELS_PREFIX}*`;
  });
}

/** IAM statements to read model objects (an ARN or pattern), and decrypt them when the bucket uses a KMS key. */
export function modelReadStatements(
  modelObjectsArn: pulumi.Input<string>,
  kmsKeyArn?: pulumi.Input<string | undefined>,
): pulumi.Output<object[]> {
  return pulumi
    .all([modelObjectsArn, kmsKeyArn])
    .apply(([objectArn, key]) => [
      { Sid: "ReadModel", Effect: "Allow", Action: "s3:GetObject", Resource: objectArn },
      ...(key
        ? [{ Sid: "DecryptModel", Effect: "Allow", Action: "kms:Decrypt", Resource: key }]
        : []),
    ]);
}

/** The key of `version` when the listing holds it; otherwise an error naming what it holds. */
export function checkListed(bucket: string, keys: readonly string[], version: string): string {
  const versions = registryVersions(keys);
  if (versions.includes(version)) return modelKeyFor(version);
  throw new RegistryError(missingVersion(bucket, versions, version));
}

/** Verify a downloaded registry tarball (core/registry.ts) and pin its bytes. */
export async function verifyRegistered(
  uri: string,
  version: string,
  bytes: Uint8Array,
): Promise<RegisteredModel> {
  const { manifestBytes } = await verifyEntry(uri, version, bytes).catch((error: Error) => {
    throw new RegistryError(`model version ${version} cannot be served: ${error.message}`);
  });
  return {
    modelVersion: version,
    key: modelKeyFor(version),
    sha256: sha256(bytes),
    manifestSha256: sha256(manifestBytes),
  };
}

/** Look `version` up in the bucket's registry and verify it (see the file's comment). */
export function registeredModel(
  bucketName: pulumi.Input<string>,
  version: string,
  opts: pulumi.InvokeOutputOptions,
): pulumi.Output<RegisteredModel> {
  // the version's own folder first, so that a registry of any size finds it; the whole
  // registry is listed only to name what it holds when the version is not there
  const own = aws.s3.getObjectsOutput(
    { bucket: bucketName, prefix: `${MODELS_PREFIX}${version}/` },
    opts,
  );
  const key = own.apply((l) => {
    if (registryVersions(l.keys).includes(version)) return pulumi.output(modelKeyFor(version));
    return aws.s3
      .getObjectsOutput({ bucket: l.bucket, prefix: MODELS_PREFIX, maxKeys: MAX_LISTED }, opts)
      .apply((all) => checkListed(all.bucket, all.keys, version));
  });
  // the download is asked for only once the version is known to be there, so that an unknown
  // version fails with the message above rather than the provider's "couldn't find resource"
  return pulumi.all([own.bucket, key]).apply(([bucket, k]) => {
    const object = aws.s3.getObjectOutput({ bucket, key: k, downloadBody: "true" }, opts);
    return object.apply((o) =>
      verifyRegistered(`s3://${o.bucket}/${o.key}`, version, Buffer.from(o.bodyBase64, "base64")),
    );
  });
}
