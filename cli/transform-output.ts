/**
 * The rows a finished transform job wrote: Batch Transform writes `<input file>.out` for each
 * input object under the output prefix, one line per input row (AssembleWith Line), so the rows
 * are the lines of the `.out` objects the job wrote (those last modified since it was created;
 * older ones, from an earlier job into the same prefix, are skipped and counted apart). The
 * objects are streamed and their newlines counted, never held; the listing and the bytes read
 * are capped, and every S3 call keeps to a budget (serving/model-retry.ts).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type Budget, withRetries } from "../serving/model-retry.js";
import { sdkFailure } from "../serving/model-source.js";
import { type S3Location, uriOf } from "./transform-job.js";

/** Listing pages of 1000 keys at most. */
const MAX_PAGES = 20;
/** Bytes counted at most: past this the rows are not given rather than given short. */
export const MAX_COUNTED_BYTES = 2 * 1024 ** 3;

/** S3 calls of the count: a listing page or one object read whole, with room for large objects. */
export const OUTPUT_BUDGET: Budget = {
  attempts: 3,
  firstByteMs: 5_000,
  attemptMs: 120_000,
  backoffMs: 200,
  totalMs: 240_000,
};

export interface OutputCount {
  /** Lines holding something: one per input row. */
  readonly rows: number;
  /** The `.out` objects the job wrote. */
  readonly objects: number;
  readonly bytes: number;
  /** `.out` objects under the prefix older than the job, not counted. */
  readonly older: number;
}

interface Listed {
  readonly key: string;
  readonly size: number;
}

async function listOutputs(
  client: S3Client,
  output: S3Location,
  since: Date,
): Promise<{ fresh: Listed[]; older: number }> {
  const fresh: Listed[] = [];
  let older = 0;
  // S3's LastModified has whole seconds: a job created at 10:00:00.7 may write at "10:00:00"
  const from = Math.floor(since.getTime() / 1000) * 1000;
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listing: ListObjectsV2CommandOutput = await withRetries(
      uriOf(output),
      async ({ signal, answered }) => {
        try {
          const command = new ListObjectsV2Command({
            Bucket: output.bucket,
            Prefix: output.prefix,
            ContinuationToken: token,
          });
          const result = await client.send(command, { abortSignal: signal });
          answered();
          return result;
        } catch (error) {
          throw sdkFailure(error);
        }
      },
      () => undefined,
      OUTPUT_BUDGET,
    );
    for (const object of listing.Contents ?? []) {
      if (!object.Key?.endsWith(".out")) continue;
      if ((object.LastModified?.getTime() ?? 0) < from) older++;
      else fresh.push({ key: object.Key, size: object.Size ?? 0 });
    }
    if (!listing.IsTruncated) return { fresh, older };
    token = listing.NextContinuationToken;
    if (!token) break;
  }
  throw new Error(
    `the listing of ${uriOf(output)} has more than ${MAX_PAGES} pages or was cut short: rows not counted`,
  );
}

/** The lines of one object holding a byte other than CR and LF, streamed. */
async function countLines(client: S3Client, bucket: string, key: string): Promise<number> {
  return withRetries(
    `s3://${bucket}/${key}`,
    async ({ signal, answered }) => {
      let body: AsyncIterable<Uint8Array>;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: signal,
        });
        answered();
        body = object.Body as AsyncIterable<Uint8Array>;
      } catch (error) {
        throw sdkFailure(error);
      }
      let rows = 0;
      let filled = false;
      for await (const chunk of body) {
        for (const byte of chunk) {
          if (byte === 0x0a) {
            if (filled) rows++;
            filled = false;
          } else if (byte !== 0x0d) filled = true;
        }
      }
      return filled ? rows + 1 : rows;
    },
    () => undefined,
    OUTPUT_BUDGET,
  );
}

/** The rows of the `.out` objects under `output` written since `since`. */
export async function countOutput(
  client: S3Client,
  output: S3Location,
  since: Date,
): Promise<OutputCount> {
  const { fresh, older } = await listOutputs(client, output, since);
  const bytes = fresh.reduce((sum, o) => sum + o.size, 0);
  if (bytes > MAX_COUNTED_BYTES) {
    throw new Error(
      `the job wrote ${bytes} bytes under ${uriOf(output)}, over the ${MAX_COUNTED_BYTES} the count reads: rows not counted`,
    );
  }
  let rows = 0;
  for (const object of fresh) rows += await countLines(client, output.bucket, object.key);
  return { rows, objects: fresh.length, bytes, older };
}
