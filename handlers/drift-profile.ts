/**
 * The training profile as the monitor reads it from a verified manifest (`training_profile`,
 * monitoring/types.ts TrainingProfile): checked at this edge, so an artifact without one, or
 * with one of another shape, stops the run with a sentence saying what to do, not a NaN later.
 * The drift module owns the profile's meaning (monitoring/profile.ts); this only checks its form.
 */
import * as z from "zod/mini";
import { ArtifactError } from "../core/artifact.js";
import { FEATURES } from "../core/features.js";
import { safeParseEnglish } from "../core/zod-english.js";
import type { TrainingProfile } from "../monitoring/types.js";

const finite = z.number().check(z.refine(Number.isFinite, "must be a finite number"));
const featureSchema = z.object({
  edges: z.array(finite),
  shares: z.array(finite),
  sorted: z.array(finite),
});
const profileSchema = z.object({
  rows: z.int().check(z.positive()),
  features: z.object(
    Object.fromEntries(FEATURES.map((f) => [f, featureSchema])) as Record<
      (typeof FEATURES)[number],
      typeof featureSchema
    >,
  ),
  class_mix: z.record(z.string(), finite),
});

export function parseTrainingProfile(value: unknown, modelVersion: string): TrainingProfile {
  if (value === undefined) {
    throw new ArtifactError(
      `model ${modelVersion} has no training_profile in its manifest (it was trained before issue 11): retrain it, so drift can compare traffic with its training data`,
    );
  }
  const parsed = safeParseEnglish(profileSchema, value);
  if (!parsed.success) {
    const where = parsed.error.issues
      .map((i) => `${["training_profile", ...i.path.map(String)].join(".")}: ${i.message}`)
      .join("; ");
    throw new ArtifactError(`model ${modelVersion} has a malformed training_profile: ${where}`);
  }
  return parsed.data as TrainingProfile;
}
