/**
 * A forest's answers repeat: a species, votes in steps of 1/trees, is_iris. Whatever is made of a
 * row's answer (its JSON text, its bytes) is therefore made once per distinct answer and kept,
 * keyed by those numbers as one integer when a double holds them exactly: a row then costs a few
 * integer operations and a map look-up.
 */
import type { BatchPredictions } from "./batch.js";

/** Answers kept per model: more than a forest of 50 trees and 3 classes can give (15,606). */
const KEPT = 1 << 16;

/** `make`, remembered per distinct answer of `classes` classes voted by `trees` trees. */
export function memoByAnswer<T>(
  classes: number,
  trees: number,
  make: (predictions: BatchPredictions, row: number) => T,
): (predictions: BatchPredictions, row: number) => T {
  if ((trees + 1) ** classes * classes * 2 > Number.MAX_SAFE_INTEGER) return make;
  const kept = new Map<number, T>();
  return (predictions, row) => {
    let key = predictions.species[row] as number;
    for (let c = 0; c < classes; c++)
      key = key * (trees + 1) + (predictions.votes[row * classes + c] as number);
    key = key * 2 + (predictions.isIris[row] as number);
    let made = kept.get(key);
    if (made === undefined) {
      made = make(predictions, row);
      if (kept.size < KEPT) kept.set(key, made);
    }
    return made;
  };
}
