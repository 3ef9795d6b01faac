/**
 * The one reader of captured traffic (issue #11, docs/monitoring.md): every record under a local
 * directory or s3://bucket/prefix, whichever door wrote it and however it got there (the
 * formats are read by monitoring/capture-parse.ts). Objects are read one at a time, so memory
 * is bounded by the largest object, not the total. An object whose key holds an hour partition
 * (yyyy/mm/dd/hh/) that cannot hold a record of [since, until] is not read: an hour ending by
 * `since`, or starting an hour or more after `until` (Firehose files a record by its arrival,
 * so one made at 10:59 may sit under 11/). The records read are kept to the window by their
 * own time.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { objectText, type ParseContext, recordsOfText } from "./capture-parse.js";
import type { CaptureRecord } from "./types.js";

/** What a read found besides records: the caller's to keep, filled in as the read goes. */
export interface CaptureReadStats {
  objects: number;
  records: number;
  /** Lines, rows or objects that were not capture records, by reason. */
  skipped: number;
  reasons: Record<string, number>;
  /** CloudWatch Logs control messages (expected: the subscription's own check). */
  control: number;
  /** Records from CSV answers: the species, with no probabilities and is_iris taken as true. */
  partial: number;
}

export const newReadStats = (): CaptureReadStats => ({
  objects: 0,
  records: 0,
  skipped: 0,
  reasons: {},
  control: 0,
  partial: 0,
});

export interface ReadCaptureOptions {
  since?: Date;
  until?: Date;
  /** The client for s3:// locations; by default one from the environment, three attempts a call. */
  s3?: S3Client;
  signal?: AbortSignal;
  stats?: CaptureReadStats;
  /** Called for every skip, with where and why. */
  onSkip?: (where: string, reason: string) => void;
}

/** Bytes of one object read at most (a capture object is megabytes). */
export const MAX_OBJECT_BYTES = 128 * 1024 * 1024;
/** Each S3 call's time limit, retries included. */
export const S3_CALL_TIMEOUT_MS = 30_000;
const HOUR_MS = 3_600_000;
/** Distinct skip reasons kept in the stats; the rest are counted together. */
const MAX_REASONS = 100;
const digits = (part: string | undefined, length: number): boolean =>
  part !== undefined && part.length === length && /^\d+$/.test(part);

/** The last yyyy/mm/dd/hh folders of a key, as numbers; undefined when it has none. */
function partitionOf(key: string): number[] | undefined {
  const parts = key.split("/");
  // the folders only: the last part is the object's name
  for (let i = parts.length - 5; i >= 0; i--) {
    const [y, m, d, h] = parts.slice(i, i + 4);
    if (digits(y, 4) && digits(m, 2) && digits(d, 2) && digits(h, 2))
      return [y, m, d, h].map(Number);
  }
  return undefined;
}
const VERSION = /(?:^|\/)([0-9a-f]{16})\//;

/** Whether an object's key (or path) is in the window, by its hour partition, if it has one. */
export function inWindow(key: string, since?: Date, until?: Date): boolean {
  const partition = partitionOf(key);
  if (partition === undefined) return true;
  const [y, m, d, h] = partition;
  const start = Date.UTC(y as number, (m as number) - 1, d, h);
  // a record is filed at or after its time (Firehose: on arrival, under an hour late)
  if (since !== undefined && start + HOUR_MS <= since.getTime()) return false;
  if (until !== undefined && start - HOUR_MS >= until.getTime()) return false;
  return true;
}

export async function* readCapture(
  location: string,
  options: ReadCaptureOptions = {},
): AsyncIterable<CaptureRecord> {
  const { since, until, signal } = options;
  const stats = options.stats ?? newReadStats();
  for await (const object of location.startsWith("s3://")
    ? s3Objects(location, options)
    : fileObjects(location)) {
    signal?.throwIfAborted();
    if (!inWindow(object.key, since, until)) continue;
    const bytes = await object.read();
    stats.objects++;
    const context: ParseContext = {
      where: object.where,
      pathVersion: VERSION.exec(object.key)?.[1],
      skip: (reason) => {
        stats.skipped++;
        // reasons name numbers and parse errors: their variety is bounded, not the count
        const known = reason in stats.reasons || Object.keys(stats.reasons).length < MAX_REASONS;
        const key = known ? reason : "other reasons";
        stats.reasons[key] = (stats.reasons[key] ?? 0) + 1;
        options.onSkip?.(object.where, reason);
      },
      control: () => {
        stats.control++;
      },
      partial: () => {
        stats.partial++;
      },
    };
    if (typeof bytes === "string") {
      context.skip(bytes);
      continue;
    }
    let text: string;
    try {
      text = objectText(bytes);
    } catch (error) {
      context.skip(`an object that does not unzip: ${(error as Error).message}`);
      continue;
    }
    for (const record of recordsOfText(text, context)) {
      const time = Date.parse(record.time);
      if (since !== undefined && time < since.getTime()) continue;
      if (until !== undefined && time > until.getTime()) continue;
      stats.records++;
      yield record;
    }
  }
}

interface CaptureObject {
  /** The path under the location, with / between folders: where partitions are read from. */
  key: string;
  where: string;
  /** Its bytes, or the reason they are not read. */
  read(): Promise<Uint8Array | string>;
}

async function* fileObjects(root: string): AsyncGenerator<CaptureObject> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const path of files) {
    const key = relative(root, path).split(sep).join("/");
    yield {
      key,
      where: path,
      read: async () =>
        (await stat(path)).size > MAX_OBJECT_BYTES
          ? `an object over ${MAX_OBJECT_BYTES} bytes`
          : new Uint8Array(await readFile(path)),
    };
  }
}

/** The abort signal of one S3 call: the caller's, and its time limit. */
const callSignal = (signal?: AbortSignal): AbortSignal =>
  signal === undefined
    ? AbortSignal.timeout(S3_CALL_TIMEOUT_MS)
    : AbortSignal.any([signal, AbortSignal.timeout(S3_CALL_TIMEOUT_MS)]);

async function* s3Objects(
  location: string,
  options: ReadCaptureOptions,
): AsyncGenerator<CaptureObject> {
  const rest = location.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1);
  if (bucket === "") throw new Error(`${location}: an S3 location is s3://bucket/prefix`);
  const client = options.s3 ?? new S3Client({ maxAttempts: 3 });
  let token: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        { abortSignal: callSignal(options.signal) },
      );
      for (const item of page.Contents ?? []) {
        const key = item.Key;
        if (key === undefined || key.endsWith("/")) continue;
        yield {
          key: key.slice(prefix.length),
          where: `s3://${bucket}/${key}`,
          read: async () => {
            if ((item.Size ?? 0) > MAX_OBJECT_BYTES)
              return `an object over ${MAX_OBJECT_BYTES} bytes`;
            const abortSignal = callSignal(options.signal);
            try {
              const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
                abortSignal,
              });
              return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
            } catch (error) {
              // gone between the listing and the read (expired by the lifecycle rule): skipped
              if ((error as Error).name === "NoSuchKey") return "an object deleted while read";
              throw error;
            }
          },
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } finally {
    if (options.s3 === undefined) client.destroy();
  }
}
