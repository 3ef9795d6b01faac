/**
 * What `iris-mlops models` prints: a version's summary (the list's row), its full description
 * (`show`) and two versions' parameters and metrics side by side (`diff`), as tables for people
 * and as plain objects for `--json`.
 */
import type { Manifest } from "../core/artifact.js";
import { table } from "../training/report.js";
import type { ReadVersion } from "./registry.js";

export interface Summary {
  readonly version: string;
  /** When the model.tar.gz was uploaded (ISO 8601), null when unknown. */
  readonly created: string | null;
  readonly bytes: number | null;
  readonly trees: number | null;
  readonly seed: number | null;
  /** Test accuracy on the held-out part. */
  readonly accuracy: number | null;
  readonly cross_validation: { mean: number; std: number; folds: number } | null;
  readonly sha256?: string;
  /** Why the version cannot be used, when it cannot. */
  readonly error?: string;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const field = (o: unknown, key: string): unknown =>
  o && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined;

function crossValidation(manifest: Manifest): Summary["cross_validation"] {
  const cv = manifest.metrics.cross_validation;
  const [mean, std, folds] = [
    num(field(cv, "accuracy_mean")),
    num(field(cv, "accuracy_std")),
    num(field(cv, "folds")),
  ];
  return mean === null || std === null || folds === null ? null : { mean, std, folds };
}

export function summaryOf(read: ReadVersion): Summary {
  const h = read.manifest.hyperparameters;
  return {
    version: read.version,
    created: read.created?.toISOString() ?? null,
    bytes: read.bytes ?? null,
    trees: num(h.trees),
    seed: num(h.seed),
    accuracy: num(read.manifest.metrics.accuracy),
    cross_validation: crossValidation(read.manifest),
    sha256: read.sha256,
  };
}

const percent = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
const minute = (iso: string | null) => (iso === null ? "-" : iso.replace("T", " ").slice(0, 16));
const size = (bytes: number | null) =>
  bytes === null ? "-" : bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
const text = (v: number | null) => (v === null ? "-" : String(v));

/** The list as a table, newest first as given; an unusable version says why on its row. */
export function listTable(rows: readonly Summary[]): string {
  const header = ["version", "created (UTC)", "trees", "seed", "accuracy", "cross-validation"];
  return table([
    [...header, "size"],
    ...rows.map((r) =>
      r.error === undefined
        ? [
            r.version,
            minute(r.created),
            text(r.trees),
            text(r.seed),
            percent(r.accuracy),
            r.cross_validation
              ? `${percent(r.cross_validation.mean)} ± ${percent(r.cross_validation.std)}`
              : "-",
            size(r.bytes),
          ]
        : [r.version, minute(r.created), "-", "-", "-", "-", size(r.bytes)],
    ),
  ])
    .split("\n")
    .map((line, i) => {
      const error = i > 0 ? rows[i - 1]?.error : undefined;
      return error === undefined ? line : `${line}  unusable: ${error}`;
    })
    .join("\n");
}

/** Leaves of a nested value, `a.b.c` → value; arrays stay whole (a confusion matrix is one value). */
function flatten(prefix: string, value: unknown, out: Map<string, unknown>): Map<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const key of Object.keys(value).sort()) {
      flatten(`${prefix}.${key}`, (value as Record<string, unknown>)[key], out);
    }
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** The manifest's parts that describe how a model was made and how it did. */
const COMPARED = ["hyperparameters", "metrics", "novelty", "data", "libraries", "classes"] as const;

function describedFields(manifest: Manifest): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const part of COMPARED) flatten(part, (manifest as Record<string, unknown>)[part], out);
  return out;
}

const shown = (v: unknown) =>
  v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v);

export interface DiffField {
  readonly field: string;
  readonly a: unknown;
  readonly b: unknown;
  readonly differs: boolean;
}

export function diffFields(a: Manifest, b: Manifest): DiffField[] {
  const [left, right] = [describedFields(a), describedFields(b)];
  const names = [...new Set([...left.keys(), ...right.keys()])];
  const order = (name: string) => COMPARED.findIndex((p) => name === p || name.startsWith(`${p}.`));
  names.sort((x, y) => order(x) - order(y) || x.localeCompare(y));
  return names.map((name) => {
    const [x, y] = [left.get(name), right.get(name)];
    return { field: name, a: x ?? null, b: y ?? null, differs: shown(x) !== shown(y) };
  });
}

export function diffTable(a: string, b: string, fields: readonly DiffField[]): string {
  const differing = fields.filter((f) => f.differs).length;
  const rows = table([
    ["  field", a, b],
    ...fields.map((f) => [`${f.differs ? "*" : " "} ${f.field}`, shown(f.a), shown(f.b)]),
  ]);
  return `${rows}\n\n${differing} of ${fields.length} fields differ (marked *)`;
}

/** `show`: the summary, then every parameter and metric. */
export function showText(read: ReadVersion): string {
  const s = summaryOf(read);
  const fields = [...describedFields(read.manifest)].map(([name, value]) => [name, shown(value)]);
  return [
    `model ${read.version}  ${read.uri}`,
    `created ${s.created ?? "-"}, ${read.bytes ?? "-"} bytes, sha256 ${read.sha256}`,
    `${text(s.trees)} trees, seed ${text(s.seed)}; test accuracy ${percent(s.accuracy)}; ` +
      `cross-validation ${
        s.cross_validation
          ? `${percent(s.cross_validation.mean)} ± ${percent(s.cross_validation.std)} over ${s.cross_validation.folds} folds`
          : "-"
      }`,
    "",
    table([["field", "value"], ...fields]),
  ].join("\n");
}
