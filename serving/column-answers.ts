/**
 * The text of each row's answer in a columnar batch's predictions (core/batch.ts), made by the
 * formatter's own `item` (invocations.ts) from the Prediction predictor.predict would give for
 * the row, so that it is today's text by construction. Each distinct answer is made once
 * (core/answer-memo.ts).
 */
import { memoByAnswer } from "../core/answer-memo.js";
import type { BatchPredictions } from "../core/batch.js";
import type { Prediction } from "../core/predictor.js";

export type ItemText = (predictions: BatchPredictions, row: number) => string;

export function columnItems(
  classes: readonly string[],
  trees: number,
  item: (prediction: Prediction) => string,
): ItemText {
  const count = classes.length;
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
  return memoByAnswer(count, trees, make);
}
