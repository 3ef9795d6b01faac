/**
 * The shapes the watching side of the model shares (issue #11): what a front door captures,
 * what the training data looked like (kept in the artifact), and what a drift check finds.
 * Capture (monitoring/capture*), drift (monitoring/drift*), the reports (reports/) and the
 * DriftMonitor component's function all speak these types, so each can be built and tested
 * on its own.
 */
import type { FeatureName } from "../core/features.js";

/** Which front door answered. */
export type Door = "lambda" | "sagemaker" | "server" | "cli";

/**
 * One captured prediction, as the one reader (monitoring/capture-read.ts) returns it from any
 * source: our own capture lines, or SageMaker's data-capture files split into their rows.
 * Never an IP address, a header or anything else about the caller.
 */
export interface CaptureRecord {
  /** ISO 8601, UTC: when the answer was made (SageMaker: eventMetadata.inferenceTime). */
  time: string;
  door: Door;
  model_version: string;
  /** The four measurements in cm, in FEATURES order. */
  features: [number, number, number, number];
  species: string;
  /** Each class's vote share, as the API answers them. */
  probabilities: Record<string, number>;
  is_iris: boolean;
  /** Ties the rows of one request together (SageMaker: eventMetadata.eventId). */
  event_id?: string;
}

/**
 * What the training data looked like, stored in the artifact's manifest under `training_profile`
 * when the model is trained (an artifact without one is older: drift says it cannot compare).
 */
export interface TrainingProfile {
  /** Rows it was computed from (the training part, not the held-out test rows). */
  rows: number;
  features: Record<
    FeatureName,
    {
      /** Inner bin edges, ascending (k edges make k + 1 bins, the outer ones open-ended). */
      edges: number[];
      /** The training share of each bin (k + 1 values that sum to 1). */
      shares: number[];
      /** The training values, sorted ascending: for the exact two-sample KS statistic. */
      sorted: number[];
    }
  >;
  /** Share of each class among the training labels. */
  class_mix: Record<string, number>;
}

export type Verdict = "ok" | "warn" | "drift";

/** Documented in docs/monitoring.md; a figure at or above `warn` warns, at or above `drift` drifts. */
export interface DriftThresholds {
  psi: { warn: number; drift: number };
  ks: { warn: number; drift: number };
  not_iris_share: { warn: number; drift: number };
  /** Fewer captured rows than this in a group: verdict "ok" is not claimed, only "warn" at most. */
  min_rows: number;
}

export interface FeatureDrift {
  feature: FeatureName;
  psi: number;
  ks: number;
  /** Traffic share per training bin (same bins as TrainingProfile.features[f].shares). */
  traffic_shares: number[];
  verdict: Verdict;
}

/** The figures of one group of traffic: all of it, one model version, or one day. */
export interface DriftFigures {
  rows: number;
  features: FeatureDrift[];
  not_iris_share: number;
  /** Predicted species mix of the traffic (share per class). */
  class_mix: Record<string, number>;
  verdict: Verdict;
}

export interface DriftReport {
  /** The model the traffic is compared with. */
  model_version: string;
  /** ISO 8601 window of the traffic read. */
  since: string;
  until: string;
  thresholds: DriftThresholds;
  training: TrainingProfile;
  overall: DriftFigures;
  by_model_version: Record<string, DriftFigures>;
  /** Keyed by yyyy-mm-dd (UTC). */
  by_day: Record<string, DriftFigures>;
  /** The worst of overall's verdict. */
  verdict: Verdict;
}
