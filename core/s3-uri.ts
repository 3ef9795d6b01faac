/**
 * s3://bucket/path, split and checked in one place. Plain string steps rather than one regex:
 * a bounded repetition next to a capture made the regex audit's automaton checker undecided
 * ("unknown") on a loaded machine, and there is nothing here a regex does better.
 */

/** The characters S3 allows in a bucket name; the first and last must be a letter or digit. */
const BUCKET_CHARS = /^[a-z0-9.-]+$/;
const ALNUM = /^[a-z0-9]$/;

/** S3's naming rules (3 to 63 of a-z, 0-9, . and -, starting and ending alphanumeric), which
 * also keep a bucket from changing the URL it is put in. */
export function isBucketName(name: string): boolean {
  return (
    name.length >= 3 &&
    name.length <= 63 &&
    BUCKET_CHARS.test(name) &&
    ALNUM.test(name[0] as string) &&
    ALNUM.test(name[name.length - 1] as string)
  );
}

/**
 * The bucket and the rest of `s3://bucket/rest` (rest may be ""), or undefined when the value
 * is not an s3:// URI with a valid bucket name followed by a slash.
 */
export function splitS3Uri(uri: string): { bucket: string; path: string } | undefined {
  if (!uri.startsWith("s3://")) return undefined;
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  if (slash < 0) return undefined;
  const bucket = rest.slice(0, slash);
  return isBucketName(bucket) ? { bucket, path: rest.slice(slash + 1) } : undefined;
}
