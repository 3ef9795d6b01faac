/**
 * The text of each row's answer in a columnar batch's predictions (core/batch.ts), made by the
 * formatter's own `item` (invocations.ts) from the Prediction predictor.predict would give for
 * the row, so that it is today's text by construction. A forest's answers repeat (a species,
 * votes in steps of 1/trees, is_iris), so each distinct one is made once and kept, keyed by
 * those numbers: a row costs a few integer operations and a map look-up.
 */
import type { BatchPredictions } from "../core/batch.js";
import type { Prediction } from "../core/predictor.js";

/** Distinct answers kept: more than a forest of 50 trees and 3 classes can give (15,606). */
const KEPT = 1 << 16;

export type ItemText = (predictions: BatchPredictions, row: number) => string;

export function columnItems(
  classes: readonly string[],
  trees: number,
  item: (prediction: Prediction) => string,
): ItemText {
  const count = classes.length;
  const keyed = (trees + 1) ** count * count * 2 <= Number.MAX_SAFE_INTEGER;
  const kept = new Map<number, string>();
  const make = ({ species, votes, isIris }: BatchPredictions, row: number): string => {
    // as predictor.ts builds a Prediction: the same keys in the same order, the same divisions
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < count; c++)
      probabilities[classes[c] as string] = (votes[row * count + c] as number) / trees;
    return item({
      species: classes[species[row] as number] as string,
      probabilities,
      is_iris: isIris[row] === 1,
    });
  };
  return (predictions, row) => {
    if (!keyed) return make(predictions, row);
    let key = predictions.species[row] as number;
    for (let c = 0; c < count; c++)
      key = key * (trees + 1) + (predictions.votes[row * count + c] as number);
    key = key * 2 + (predictions.isIris[row] as number);
    let text = kept.get(key);
    if (text === undefined) {
      text = make(predictions, row);
      if (kept.size < KEPT) kept.set(key, text);
    }
    return text;
  };
}
