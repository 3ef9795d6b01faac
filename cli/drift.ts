/**
 * `iris-mlops drift`: captured traffic against the model's training profile (monitoring/drift.ts).
 * Exit codes, for CI and cron: 0 ok, 10 warn, 11 drift, 2 bad usage or cannot run.
 */
import { type Command, InvalidArgumentError } from "commander";
import { FEATURES } from "../core/features.js";
import { computeDrift } from "../monitoring/drift.js";
import type { CaptureRecord, DriftFigures, DriftReport, Verdict } from "../monitoring/types.js";
import { addModelOptions, loadModelForCli, type ModelFlags } from "./model-options.js";

/** The capture reader brings the S3 client (100 to 140 ms to load here): loaded when `drift` runs, not
 * by every `iris-mlops predict`; also lets the bundle run where only its own folder is. */
const readCapture = () =>
  (require("../monitoring/capture-read.js") as typeof import("../monitoring/capture-read.js"))
    .readCapture;

export const EXIT_CODES: Record<Verdict, number> = { ok: 0, warn: 10, drift: 11 };

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** --since: 30m, 24h, 7d back from `now`, or an ISO date. */
export function parseSince(value: string, now = new Date()): Date {
  const relative = /^(\d{1,6})([mhd])$/.exec(value.trim());
  if (relative && Number(relative[1]) === 0)
    throw new InvalidArgumentError(
      "expected a duration above zero (30m, 24h, 7d): 0 holds no traffic",
    );
  if (relative)
    return new Date(now.getTime() - Number(relative[1]) * (UNITS[relative[2] as string] as number));
  // a date-time without an offset is UTC, as the partitions are (JS would read it as local)
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(
      value.trim(),
    );
  const [, y, mo, d, zone] = iso ?? [];
  const text = iso === null ? "" : value.trim().replace(" ", "T");
  const date = new Date(
    iso === null ? Number.NaN : text.length > 10 && zone === undefined ? `${text}Z` : text,
  );
  // an impossible day (2026-02-30) is refused, not rolled over into the next month
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(date.getTime()) ||
    day.getUTCFullYear() !== Number(y) ||
    day.getUTCMonth() !== Number(mo) - 1 ||
    day.getUTCDate() !== Number(d)
  )
    throw new InvalidArgumentError(
      "expected a duration (30m, 24h, 7d) or an ISO date (2026-11-01)",
    );
  return date;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const row = (name: string, f: DriftFigures) =>
  [
    name.padEnd(18),
    String(f.rows).padStart(7),
    pct(f.not_iris_share).padStart(9),
    ...f.features.map((x) => `${x.psi.toFixed(3)}/${x.ks.toFixed(3)}`.padStart(14)),
    f.verdict,
  ].join(" ");

/** The table for people: one line per group, PSI/D per feature. */
export function driftTable(report: DriftReport): string {
  const head = [
    "group".padEnd(18),
    "rows".padStart(7),
    "not-iris".padStart(9),
    ...FEATURES.map((f) => f.padStart(14)),
    "verdict",
  ].join(" ");
  const lines = [
    `model ${report.model_version}, traffic ${report.since} to ${report.until}: ${report.verdict}`,
    "(per feature: PSI/KS D)",
    head,
    row("overall", report.overall),
    ...Object.entries(report.by_model_version).map(([v, f]) => row(`model ${v}`, f)),
    ...Object.entries(report.by_day).map(([d, f]) => row(d, f)),
  ];
  return `${lines.join("\n")}\n`;
}

/** Compute and print; returns the exit code. */
export async function runDrift(input: {
  modelVersion: string;
  profile: DriftReport["training"] | undefined;
  records: AsyncIterable<CaptureRecord> | Iterable<CaptureRecord>;
  since: Date;
  until: Date;
  json: boolean;
  write: (text: string) => void;
}): Promise<{ code: number; report: DriftReport }> {
  if (!input.profile)
    throw new Error(
      `model ${input.modelVersion} carries no training profile (trained before drift existed): retrain it (iris-mlops train)`,
    );
  const report = await computeDrift({ ...input, profile: input.profile });
  input.write(input.json ? `${JSON.stringify(report, null, 2)}\n` : driftTable(report));
  return { code: EXIT_CODES[report.verdict], report };
}

export function addDriftCommand(program: Command, defaultModel: string): void {
  const command = program
    .command("drift")
    .description(
      "Compare captured traffic with the model's training data: PSI, KS, not-Iris share, class mix; exit 0 ok, 10 warn, 11 drift, 2 bad usage.",
    )
    .option("--model <path>", "a model.tar.gz, a folder or s3://bucket/key", defaultModel)
    .requiredOption("--capture <location>", "the capture: a folder or s3://bucket/prefix")
    .option("--since <when>", "window start: 30m, 24h, 7d or an ISO date", "7d")
    .option("--json", "the report as JSON")
    .option("--report <file>", "write the HTML report there");
  addModelOptions(command).action(
    async (
      flags: ModelFlags & {
        model: string;
        capture: string;
        since: string;
        json?: boolean;
        report?: string;
      },
    ) => {
      const since = parseSince(flags.since);
      const until = new Date();
      if (since.getTime() >= until.getTime())
        throw new InvalidArgumentError(
          `--since ${flags.since} is not in the past: the window would hold no traffic`,
        );
      const predictor = await loadModelForCli(flags.model, flags);
      const { code, report } = await runDrift({
        modelVersion: predictor.modelVersion,
        profile: predictor.manifest.training_profile,
        records: readCapture()(flags.capture, { since, until }),
        since,
        until,
        json: flags.json === true,
        write: (text) => process.stdout.write(text),
      });
      if (flags.report) {
        // loaded only when a report is asked for: it pulls in vega (ESM, kept out of the CLI bundle)
        const { renderDriftReport } = await import("../reports/drift-report.js");
        await (await import("node:fs/promises")).writeFile(
          flags.report,
          await renderDriftReport(report),
        );
      }
      process.exitCode = code;
    },
  );
}
