/**
 * Drift: how far captured traffic is from the training data kept in the artifact
 * (monitoring/profile.ts), per feature (PSI over the training decile bins, and the exact
 * two-sample Kolmogorov-Smirnov statistic D), with the share of rows the model found unlike
 * any Iris and the predicted class mix; for all the traffic, each model version and each UTC
 * day, each with a verdict against thresholds documented in docs/monitoring.md.
 *
 * Memory is bounded whatever the number of records: a group keeps counts only, per feature the
 * traffic count of each training bin, and for KS the count of traffic values equal to each
 * distinct training value and between consecutive ones (2m + 1 counts for m distinct training
 * values). That is all D needs, exactly: both empirical CDFs are step functions, the training
 * one steps only at its own values, so the supremum of their difference is reached at a
 * training value or just below one (see ksFromCounts). No traffic value is kept.
 */
import { FEATURES } from "../core/features.js";
import { binOf } from "./profile.js";
import type {
  CaptureRecord,
  DriftFigures,
  DriftReport,
  DriftThresholds,
  FeatureDrift,
  TrainingProfile,
  Verdict,
} from "./types.js";

/**
 * What an empty bin's share counts as in PSI, on both sides: ln(0) is undefined, and 1e-4 (a
 * common choice) keeps a bin that one side never fills from dominating the sum. A bin empty in
 * the traffic and holding p of the training adds (p - 1e-4) ln(p / 1e-4), about 0.07 for p = 1/10.
 */
export const PSI_EPSILON = 1e-4;

/**
 * The defaults, reasoned in docs/monitoring.md. PSI: the usual rule of thumb (under 0.1 no real
 * change, 0.25 and over a significant one). KS: coefficients c(alpha) of the two-sample test's
 * critical value c(alpha) * sqrt((n + m) / (n m)), n traffic rows and m training rows: 1.628
 * is alpha = 0.01, 1.949 alpha = 0.001. Not-Iris share: 5% and 20%. Fewer rows than 50 in a
 * group: "warn" at most, never "ok".
 */
export const DEFAULT_THRESHOLDS: DriftThresholds = {
  psi: { warn: 0.1, drift: 0.25 },
  ks: { warn: 1.628, drift: 1.949 },
  not_iris_share: { warn: 0.05, drift: 0.2 },
  min_rows: 50,
};

/** More groups (model versions and days) than this in one window: refused, not held. */
export const MAX_GROUPS = 5000;

/** The D at which the two-sample KS test with coefficient c(alpha) rejects, for n and m rows. */
export const ksCritical = (coefficient: number, n: number, m: number): number =>
  coefficient * Math.sqrt((n + m) / (n * m));

/** D in units of sqrt((n + m) / (n m)): what the `ks` thresholds are compared with. */
export const ksScaled = (d: number, n: number, m: number): number =>
  n === 0 ? 0 : d / Math.sqrt((n + m) / (n * m));

export function psi(expected: readonly number[], actual: readonly number[]): number {
  let sum = 0;
  for (let b = 0; b < expected.length; b++) {
    const p = Math.max(expected[b] as number, PSI_EPSILON);
    const q = Math.max(actual[b] as number, PSI_EPSILON);
    sum += (q - p) * Math.log(q / p);
  }
  return sum;
}

const RANK: Record<Verdict, number> = { ok: 0, warn: 1, drift: 2 };
export const worst = (verdicts: readonly Verdict[]): Verdict =>
  verdicts.reduce<Verdict>((a, b) => (RANK[b] > RANK[a] ? b : a), "ok");

/** A figure at or above `warn` warns, at or above `drift` drifts. */
export const verdictOf = (value: number, limits: { warn: number; drift: number }): Verdict =>
  value >= limits.drift ? "drift" : value >= limits.warn ? "warn" : "ok";

/** A group's verdict from its figures: the worst of them, and never "ok" on too few rows. */
export function groupVerdict(
  figures: {
    rows: number;
    psi: readonly number[];
    ksScaled: readonly number[];
    notIrisShare: number;
  },
  thresholds: DriftThresholds,
): Verdict {
  const found = worst([
    ...figures.psi.map((x) => verdictOf(x, thresholds.psi)),
    ...figures.ksScaled.map((x) => verdictOf(x, thresholds.ks)),
    verdictOf(figures.notIrisShare, thresholds.not_iris_share),
  ]);
  return figures.rows < thresholds.min_rows ? "warn" : found;
}

/** A feature's training side, prepared once: distinct values and the training CDF at each. */
interface TrainingSide {
  edges: readonly number[];
  shares: readonly number[];
  distinct: Float64Array;
  cdf: Float64Array;
  m: number;
}

function trainingSide(
  feature: TrainingProfile["features"][keyof TrainingProfile["features"]],
): TrainingSide {
  const distinct: number[] = [];
  const cdf: number[] = [];
  const { sorted } = feature;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (distinct[distinct.length - 1] !== v) distinct.push(v);
    cdf[distinct.length - 1] = (i + 1) / sorted.length;
  }
  return {
    edges: feature.edges,
    shares: feature.shares,
    distinct: Float64Array.from(distinct),
    cdf: Float64Array.from(cdf),
    m: sorted.length,
  };
}

/** Index of the first distinct value >= v (distinct.length when none). */
function lowerBound(values: Float64Array, v: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((values[mid] as number) < v) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * D from the counts: `below[i]` traffic values strictly between distinct[i - 1] and distinct[i]
 * (below[k] above the last), `at[i]` equal to distinct[i]. Between two training values the
 * training CDF is flat and the traffic CDF only rises, so the largest gap on that stretch is at
 * one of its ends: just below distinct[i] or at distinct[i]. Exact, no resolution involved.
 */
export function ksFromCounts(
  side: { cdf: Float64Array },
  below: Float64Array,
  at: Float64Array,
  n: number,
): number {
  if (n === 0) return 0;
  let d = 0;
  let traffic = 0;
  let previous = 0;
  for (let i = 0; i < side.cdf.length; i++) {
    traffic += below[i] as number;
    d = Math.max(d, Math.abs(previous - traffic / n));
    traffic += at[i] as number;
    previous = side.cdf[i] as number;
    d = Math.max(d, Math.abs(previous - traffic / n));
  }
  return d;
}

const increment = (counts: Float64Array, i: number) => {
  counts[i] = (counts[i] as number) + 1;
};

class Group {
  rows = 0;
  notIris = 0;
  readonly species = new Map<string, number>();
  readonly bins: Float64Array[];
  readonly below: Float64Array[];
  readonly at: Float64Array[];

  constructor(readonly sides: readonly TrainingSide[]) {
    this.bins = sides.map((s) => new Float64Array(s.shares.length));
    this.below = sides.map((s) => new Float64Array(s.distinct.length + 1));
    this.at = sides.map((s) => new Float64Array(s.distinct.length));
  }

  add(record: CaptureRecord): void {
    this.rows += 1;
    if (!record.is_iris) this.notIris += 1;
    this.species.set(record.species, (this.species.get(record.species) ?? 0) + 1);
    this.sides.forEach((side, f) => {
      const v = record.features[f] as number;
      increment(this.bins[f] as Float64Array, binOf(side.edges, v));
      const i = lowerBound(side.distinct, v);
      if (i < side.distinct.length && side.distinct[i] === v)
        increment(this.at[f] as Float64Array, i);
      else increment(this.below[f] as Float64Array, i);
    });
  }

  figures(classes: readonly string[], thresholds: DriftThresholds): DriftFigures {
    const n = this.rows;
    const features: FeatureDrift[] = this.sides.map((side, f) => {
      const traffic_shares = Array.from(this.bins[f] as Float64Array, (c) => (n === 0 ? 0 : c / n));
      const p = n === 0 ? 0 : psi(side.shares, traffic_shares);
      const ks = ksFromCounts(side, this.below[f] as Float64Array, this.at[f] as Float64Array, n);
      const verdict = groupVerdict(
        { rows: n, psi: [p], ksScaled: [ksScaled(ks, n, side.m)], notIrisShare: 0 },
        thresholds,
      );
      return {
        feature: FEATURES[f] as FeatureDrift["feature"],
        psi: p,
        ks,
        traffic_shares,
        verdict,
      };
    });
    const not_iris_share = n === 0 ? 0 : this.notIris / n;
    const names = [...new Set([...classes, ...[...this.species.keys()].sort()])];
    const class_mix = Object.fromEntries(
      names.map((name) => [name, n === 0 ? 0 : (this.species.get(name) ?? 0) / n]),
    );
    const verdict = groupVerdict(
      {
        rows: n,
        psi: features.map((x) => x.psi),
        ksScaled: features.map((x, f) => ksScaled(x.ks, n, (this.sides[f] as TrainingSide).m)),
        notIrisShare: not_iris_share,
      },
      thresholds,
    );
    return { rows: n, features, not_iris_share, class_mix, verdict };
  }
}

const sortedRecord = <T>(map: Map<string, T>): Record<string, T> =>
  Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export async function computeDrift(input: {
  modelVersion: string;
  profile: TrainingProfile;
  records: AsyncIterable<CaptureRecord> | Iterable<CaptureRecord>;
  since: Date;
  until: Date;
  thresholds?: DriftThresholds;
}): Promise<DriftReport> {
  const { profile, since, until } = input;
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
  const sides = FEATURES.map((name) => trainingSide(profile.features[name]));
  const overall = new Group(sides);
  const byVersion = new Map<string, Group>();
  const byDay = new Map<string, Group>();
  const groupIn = (groups: Map<string, Group>, key: string): Group => {
    let group = groups.get(key);
    if (!group) {
      if (byVersion.size + byDay.size >= MAX_GROUPS)
        throw new Error(
          `the traffic spans more than ${MAX_GROUPS} model versions and days: narrow the window (--since)`,
        );
      group = new Group(sides);
      groups.set(key, group);
    }
    return group;
  };
  const from = since.getTime();
  const to = until.getTime();
  for await (const record of input.records) {
    const time = Date.parse(record.time);
    // the reader skips whole hours outside the window; the rest is cut here to the millisecond
    if (!(time >= from && time <= to)) continue;
    overall.add(record);
    groupIn(byVersion, record.model_version).add(record);
    groupIn(byDay, new Date(time).toISOString().slice(0, 10)).add(record);
  }
  const classes = Object.keys(profile.class_mix);
  const figures = (groups: Map<string, Group>) =>
    sortedRecord(new Map([...groups].map(([k, g]) => [k, g.figures(classes, thresholds)])));
  const all = overall.figures(classes, thresholds);
  return {
    model_version: input.modelVersion,
    since: since.toISOString(),
    until: until.toISOString(),
    thresholds,
    training: profile,
    overall: all,
    by_model_version: figures(byVersion),
    by_day: figures(byDay),
    verdict: all.verdict,
  };
}
