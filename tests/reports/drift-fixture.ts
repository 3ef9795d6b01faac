/**
 * DriftReports built by hand (type-checked against monitoring/types.ts), so the report's tests
 * do not depend on the drift computation: an "ok" week and a "drift" week of two model versions.
 */
import { FEATURES, type FeatureName } from "../../core/features.js";
import type {
  DriftFigures,
  DriftReport,
  FeatureDrift,
  TrainingProfile,
  Verdict,
} from "../../monitoring/types.js";

const EDGES: Record<FeatureName, number[]> = {
  sepal_length: [4.8, 5.2, 5.6, 6.0, 6.4, 6.8, 7.2],
  sepal_width: [2.6, 2.8, 3.0, 3.2, 3.4, 3.6],
  petal_length: [1.5, 3.0, 4.0, 4.6, 5.2, 5.8],
  petal_width: [0.3, 0.8, 1.3, 1.6, 1.9, 2.2],
};

/** k + 1 shares summing to 1, shaped by `tilt` (0: flat). */
function shares(bins: number, tilt: number): number[] {
  const raw = Array.from(
    { length: bins },
    (_, i) => 1 + (tilt * (i - (bins - 1) / 2)) / bins + (i % 3) * 0.1,
  );
  const clipped = raw.map((x) => Math.max(0.01, x));
  const sum = clipped.reduce((a, b) => a + b, 0);
  return clipped.map((x) => x / sum);
}

export const PROFILE: TrainingProfile = {
  rows: 120,
  features: Object.fromEntries(
    FEATURES.map((f) => [
      f,
      { edges: EDGES[f], shares: shares(EDGES[f].length + 1, 0), sorted: [4.3, 5.8, 7.9] },
    ]),
  ) as TrainingProfile["features"],
  class_mix: { setosa: 1 / 3, versicolor: 1 / 3, virginica: 1 / 3 },
};

function figures(rows: number, psi: number[], notIris: number, verdict: Verdict): DriftFigures {
  const features: FeatureDrift[] = FEATURES.map((feature, f) => ({
    feature,
    psi: psi[f] as number,
    ks: (psi[f] as number) / 2 + 0.013 * f,
    traffic_shares: shares(EDGES[feature].length + 1, 4 * (psi[f] as number)),
    verdict: (psi[f] as number) >= 0.25 ? "drift" : (psi[f] as number) >= 0.1 ? "warn" : "ok",
  }));
  const skew = Math.min(0.3, psi[2] as number);
  return {
    rows,
    features,
    not_iris_share: notIris,
    class_mix: { setosa: 1 / 3 - skew, versicolor: 1 / 3, virginica: 1 / 3 + skew },
    verdict,
  };
}

export function driftFixture(kind: "ok" | "drift"): DriftReport {
  const bad = kind === "drift";
  const days = ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"];
  const by_day = Object.fromEntries(
    days.map((day, i) => [
      day,
      figures(
        200 + 17 * i,
        bad
          ? [0.02 + 0.01 * i, 0.03, 0.05 + 0.08 * i, 0.04 + 0.07 * i]
          : [0.01, 0.02, 0.015, 0.012],
        bad ? 0.01 + 0.04 * i : 0.004 * i,
        bad && i >= 3 ? "drift" : bad && i >= 2 ? "warn" : "ok",
      ),
    ]),
  );
  const overall = figures(
    1170,
    bad ? [0.04, 0.03, 0.31, 0.18] : [0.012, 0.021, 0.017, 0.009],
    bad ? 0.09 : 0.008,
    kind,
  );
  return {
    model_version: "0123456789abcdef",
    since: "2026-11-24T00:00:00.000Z",
    until: "2026-12-01T00:00:00.000Z",
    thresholds: {
      psi: { warn: 0.1, drift: 0.25 },
      ks: { warn: 0.1, drift: 0.2 },
      not_iris_share: { warn: 0.05, drift: 0.15 },
      min_rows: 100,
    },
    training: PROFILE,
    overall,
    by_model_version: {
      "0123456789abcdef": overall,
      fedcba9876543210: figures(60, [0.05, 0.02, 0.04, 0.03], 0, "warn"),
    },
    by_day,
    verdict: kind,
  };
}
