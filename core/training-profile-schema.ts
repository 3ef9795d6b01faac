/**
 * The schema of the manifest's `training_profile` (monitoring/profile.ts writes it, drift reads
 * it): a profile that does not add up (edges out of order, shares that do not sum to 1, a
 * sorted list that is not sorted or not `rows` long) would give drift figures that mean
 * nothing, so the artifact is refused at load time, saying which part is wrong.
 */
import * as z from "zod/mini";
import { FEATURES, type FeatureName } from "./features.js";

/** How far from 1 a sum of shares may be: float rounding of a few hundred terms, not an edit. */
const SUM_TOLERANCE = 1e-9;

const share = z.number().check(z.minimum(0), z.maximum(1));
const sumsToOne = (values: readonly number[]) =>
  Math.abs(values.reduce((a, b) => a + b, 0) - 1) <= SUM_TOLERANCE;
const ascending = (values: readonly number[], strictly: boolean) =>
  values.every(
    (v, i) =>
      i === 0 || (strictly ? v > (values[i - 1] as number) : v >= (values[i - 1] as number)),
  );

const featureProfile = z
  .object({
    edges: z
      .array(z.number())
      .check(z.refine((e) => ascending(e, true), "edges must be strictly ascending")),
    shares: z.array(share).check(z.refine(sumsToOne, "shares must sum to 1")),
    sorted: z.array(z.number()).check(
      z.minLength(1),
      z.refine((s) => ascending(s, false), "sorted must be ascending"),
    ),
  })
  .check(
    z.refine(
      (f) => f.shares.length === f.edges.length + 1,
      "shares must have one value more than edges (k edges make k + 1 bins)",
    ),
  );

export const trainingProfileSchema = z
  .object({
    rows: z.int().check(z.minimum(1)),
    features: z.object(
      Object.fromEntries(FEATURES.map((name) => [name, featureProfile])) as Record<
        FeatureName,
        typeof featureProfile
      >,
    ),
    class_mix: z
      .record(z.string(), share)
      .check(z.refine((mix) => sumsToOne(Object.values(mix)), "class_mix must sum to 1")),
  })
  .check(
    z.refine(
      (p) => FEATURES.every((name) => p.features[name].sorted.length === p.rows),
      "every feature's sorted values must number `rows`",
    ),
  );
