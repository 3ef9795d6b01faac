/**
 * Where a model lives on S3, checked at start-up: a key is sent as it is written, so a key that a
 * URL parser would rewrite (`a/../b` becomes `b`; WHATWG URL collapses `%2E%2E` too) is refused
 * rather than fetching another object than the one named.
 */
import { ArtifactError } from "../core/artifact.js";
import { isBucketName } from "../core/s3-uri.js";

export interface S3Location {
  bucket: string;
  key: string;
}

/** S3's own limit on a key. */
export const MAX_KEY_BYTES = 1024;

export const s3Uri = ({ bucket, key }: S3Location): string => `s3://${bucket}/${key}`;

/**
 * The key, when every `/`-separated segment is a name: not empty (no leading, trailing or double
 * slash), not `.` or `..`, and the whole is well-formed Unicode of at most 1024 UTF-8 bytes.
 */
export function checkModelKey(key: string): string {
  const refuse = (why: string) =>
    new ArtifactError(`the model key ${JSON.stringify(key)} ${why}: name the object exactly`);
  if (key === "") throw refuse("is empty");
  try {
    encodeURIComponent(key);
  } catch {
    throw refuse("is not well-formed Unicode (a lone surrogate)");
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw refuse(`is over S3's ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split("/")) {
    if (segment === "") throw refuse("has an empty segment (a leading, trailing or double /)");
    if (segment === "." || segment === "..")
      throw refuse(`has a ${JSON.stringify(segment)} segment, which a URL would collapse`);
  }
  return key;
}

export function checkBucket(bucket: string): string {
  if (!isBucketName(bucket)) {
    throw new ArtifactError(
      `the model bucket ${JSON.stringify(bucket)} is not an S3 bucket name (3 to 63 of a-z, 0-9, . and -)`,
    );
  }
  return bucket;
}

/** A location with both parts checked. */
export const checkLocation = ({ bucket, key }: S3Location): S3Location => ({
  bucket: checkBucket(bucket),
  key: checkModelKey(key),
});

/** s3://bucket/key, both checked as above. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new ArtifactError(`${uri} is not an s3://bucket/key URI`);
  return checkLocation({ bucket: match[1] as string, key: match[2] as string });
}
