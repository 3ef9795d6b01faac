/** Classification metrics from true and predicted labels. */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  /** Per class name. */
  per_class: Record<string, ClassMetrics>;
  /** confusion_matrix[true][predicted], in class order. */
  confusion_matrix: number[][];
}

export function evaluate(
  truth: readonly number[],
  predicted: readonly number[],
  classes: readonly string[],
): Evaluation {
  const n = classes.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  truth.forEach((t, i) => {
    const row = confusion[t] as number[];
    const p = predicted[i] as number;
    row[p] = (row[p] as number) + 1;
  });
  const per_class: Record<string, ClassMetrics> = {};
  classes.forEach((name, c) => {
    const tp = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((sum, row) => sum + (row[c] as number), 0);
    // zero when undefined (no predictions or no support), as scikit-learn's zero_division=0
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    per_class[name] = {
      precision,
      recall,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
      support,
    };
  });
  const correct = confusion.reduce((sum, row, c) => sum + (row[c] as number), 0);
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    per_class,
    confusion_matrix: confusion,
  };
}

export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
