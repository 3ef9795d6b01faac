/**
 * The text of each row's answer in a columnar batch's predictions (core/batch.ts), made by the
 * formatter's own `item` (invocations.ts) from the Prediction predictor.predict would give for
 * the row, so that it is today's text by construction. Each distinct answer is made once
 * (core/answer-memo.ts).
 */
import { memoByAnswer } from "../core/answer-memo.js";
import { type BatchPredictions, predictionAt } from "../core/batch.js";
import type { Prediction } from "../core/predictor.js";

export type ItemText = (predictions: BatchPredictions, row: number) => string;

export function columnItems(
  classes: readonly string[],
  trees: number,
  item: (prediction: Prediction) => string,
): ItemText {
  return memoByAnswer(classes.length, trees, (predictions, row) =>
    item(predictionAt(classes, predictions, row)),
  );
}
