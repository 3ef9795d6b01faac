/**
 * `iris-mlops models list | show | diff`: the model registry of a bucket (cli/registry.ts), for
 * people as tables and for machines with `--json`. Exit codes: 0 done; 1 a version asked for or
 * listed cannot be used (corrupt, incomplete, under the wrong version), the others still shown;
 * 2 the command could not run (no such bucket or version, S3 refused or unreachable), as
 * main.ts gives any error.
 */
import type { Command } from "commander";
import { isModelVersion, MODELS_PREFIX, missingVersion } from "../core/registry.js";
import { createLogger } from "../server/log.js";
import { diffFields, diffTable, listTable, showText, summaryOf } from "./models-format.js";
import type { ListedVersion, Listing, ReadVersion, RegistryReader } from "./registry.js";

/** The registry's code, with the AWS SDK it needs (about 100 ms to load), when a command runs. */
const registry = () => require("./registry.js") as typeof import("./registry.js");

interface Flags {
  bucket?: string;
  json?: boolean;
}

/**
 * Control characters shown as escapes: object keys and manifest strings come from whoever can
 * write to the bucket, and an ESC in a key would clear or recolour the reader's terminal. JSON
 * already escapes C0; its \u escapes of DEL and C1 keep the value the same.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, "0");
export const printable = (text: string) => text.replace(CONTROL, (c) => `\\u${hex(c)}`);

const out = (text: string) => process.stdout.write(`${printable(text)}\n`);
const note = (text: string) => process.stderr.write(`iris-mlops: ${printable(text)}\n`);

/** Retries of S3 calls go to stderr; a failure is the command's own error, a success no news. */
function readerFor(flags: Flags): RegistryReader {
  if (!flags.bucket) {
    throw new Error(
      "--bucket is required: the bucket holding the registry (the stack output modelS3Uri names it)",
    );
  }
  const log = createLogger(process.env.LOG_LEVEL ?? "info", (line) => process.stderr.write(line));
  return registry().registryReader(flags.bucket, {
    log: ({ outcome, ...line }) => {
      if (outcome === "retry") log.warn({ outcome, ...line }, "s3 attempt");
    },
  });
}

/** The listing, with a note on stderr about the objects under models/ it ignored. */
async function listed(reader: RegistryReader): Promise<Listing> {
  const listing = await reader.list();
  const { strays } = listing;
  if (strays.length > 0) {
    const shown = strays.slice(0, 5).join(", ");
    const more = strays.length > 5 ? ` and ${strays.length - 5} more` : "";
    note(
      `ignored ${strays.length} object(s) under ${MODELS_PREFIX} that are not a version's model.tar.gz or manifest.json: ${shown}${more}`,
    );
  }
  return listing;
}

function checkVersion(version: string): string {
  if (!isModelVersion(version)) {
    throw new Error(
      `${JSON.stringify(version)} is not a model version: 16 hex digits, as iris-mlops models list shows them`,
    );
  }
  return version;
}

/** The versions asked for, read; an unusable one is said on stderr and makes the exit code 1. */
async function readVersions(
  reader: RegistryReader,
  versions: string[],
): Promise<ReadVersion[] | undefined> {
  const listing = await listed(reader);
  const found = versions.map((version) => {
    const entry = listing.versions.find((v) => v.version === version);
    if (!entry) {
      throw new Error(
        missingVersion(
          reader.bucket,
          listing.versions.map((v) => v.version),
          version,
        ),
      );
    }
    return entry;
  });
  const { readAll, RegistryEntryError } = registry();
  const results = await readAll(reader, found);
  const unusable = results.filter((r) => r.status === "rejected").map((r) => r.reason as Error);
  const failed = unusable.find((e) => !(e instanceof RegistryEntryError));
  if (failed) throw failed;
  if (unusable.length > 0) {
    for (const error of unusable) note(error.message);
    process.exitCode = 1;
    return undefined;
  }
  return results.map((r) => (r as PromiseFulfilledResult<ReadVersion>).value);
}

async function list(flags: Flags): Promise<void> {
  const reader = readerFor(flags);
  const listing = await listed(reader);
  if (listing.versions.length === 0) {
    note(`s3://${reader.bucket}/${MODELS_PREFIX} holds no model yet`);
    if (flags.json) out("[]");
    return;
  }
  const { readAll, RegistryEntryError } = registry();
  const results = await readAll(reader, listing.versions);
  const failed = results.find(
    (r) => r.status === "rejected" && !(r.reason instanceof RegistryEntryError),
  );
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const rows = results.map((r, i) => {
    if (r.status === "fulfilled") return summaryOf(r.value);
    const v = listing.versions[i] as ListedVersion;
    return {
      version: v.version,
      created: v.created?.toISOString() ?? null,
      bytes: v.bytes ?? null,
      trees: null,
      seed: null,
      accuracy: null,
      cross_validation: null,
      error: (r.reason as Error).message,
    };
  });
  out(flags.json ? JSON.stringify(rows, null, 2) : listTable(rows));
  if (rows.some((r) => r.error !== undefined)) process.exitCode = 1;
}

async function show(version: string, flags: Flags): Promise<void> {
  const [read] = (await readVersions(readerFor(flags), [checkVersion(version)])) ?? [];
  if (!read) return;
  out(
    flags.json
      ? JSON.stringify({ ...summaryOf(read), uri: read.uri, manifest: read.manifest }, null, 2)
      : showText(read),
  );
}

async function diff(a: string, b: string, flags: Flags): Promise<void> {
  const read = await readVersions(readerFor(flags), [checkVersion(a), checkVersion(b)]);
  if (!read) return;
  const fields = diffFields((read[0] as ReadVersion).manifest, (read[1] as ReadVersion).manifest);
  out(flags.json ? JSON.stringify({ a, b, fields }, null, 2) : diffTable(a, b, fields));
}

export function addModelsCommand(program: Command): void {
  const models = program
    .command("models")
    .description(
      "The model registry in a stack's bucket: every uploaded version under models/<version>/ (read through the S3 API). " +
        "Exit 1 when a version cannot be used (corrupt, incomplete), 2 when the command cannot run.",
    );
  const withFlags = (command: Command) =>
    command
      .option("--bucket <name>", "the bucket holding the registry (the stack's model bucket)")
      .option("--json", "print JSON instead of a table");
  withFlags(
    models
      .command("list")
      .description(
        "Every version, newest first: created, trees, seed, accuracy, cross-validation, size.",
      ),
  ).action(list);
  withFlags(
    models
      .command("show <version>")
      .description("One version: where it is, its sha256, every parameter and metric."),
  ).action(show);
  withFlags(
    models
      .command("diff <a> <b>")
      .description("Two versions' parameters and metrics side by side, the differences marked."),
  ).action(diff);
}
