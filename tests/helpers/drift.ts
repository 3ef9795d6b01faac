/** Hand-made training profiles and traffic for the drift tests. */
import { FEATURES } from "../../core/features.js";
import { profileTraining } from "../../monitoring/profile.js";
import type { CaptureRecord, TrainingProfile } from "../../monitoring/types.js";

/** A profile whose four features are all `values` (one class). */
export const profileOf = (values: readonly number[]): TrainingProfile =>
  profileTraining(
    values.map((v) => [v, v, v, v]),
    values.map(() => 0),
    ["a", "b"],
  );

/** A profile with the same hand-made bins for every feature. */
export function handProfile(edges: number[], shares: number[], sorted: number[]): TrainingProfile {
  const feature = { edges, shares, sorted };
  return {
    rows: sorted.length,
    features: Object.fromEntries(FEATURES.map((f) => [f, feature])) as TrainingProfile["features"],
    class_mix: { a: 1, b: 0 },
  };
}

/** One captured row whose four measurements are all `v`. */
export const recordOf = (v: number, extra: Partial<CaptureRecord> = {}): CaptureRecord => ({
  time: "2026-11-01T12:00:00.000Z",
  door: "server",
  model_version: "0123456789abcdef",
  features: [v, v, v, v],
  species: "a",
  probabilities: { a: 1, b: 0 },
  is_iris: true,
  ...extra,
});

/** The two-sample KS statistic by brute force: both empirical CDFs at every point of either sample. */
export function ksBruteForce(a: readonly number[], b: readonly number[]): number {
  let d = 0;
  for (const x of [...a, ...b]) {
    const fa = a.filter((v) => v <= x).length / a.length;
    const fb = b.filter((v) => v <= x).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}
