/** Rows for the benchmarks (and the tests' generated files): the same on every run. */
import { FEATURES } from "../../core/features.js";

/** A seeded generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each feature's smallest and largest value in the Iris data. */
export const IRIS_LOW = [4.3, 2, 1, 0.1];
export const IRIS_HIGH = [7.9, 4.4, 6.9, 2.5];

/** A row drawn uniformly in the data's box, to one decimal as the data is measured. */
export function boxRow(next: () => number): number[] {
  return IRIS_LOW.map((low, f) =>
    Number((low + next() * ((IRIS_HIGH[f] as number) - low)).toFixed(1)),
  );
}

/**
 * `count` rows as a file holds them, each line ended by a newline: CSV with a header, or JSON
 * lines (objects and arrays in turn).
 */
export function rowsText(count: number, format: "csv" | "jsonl", seed = 1): string {
  const next = random(seed);
  const lines = format === "csv" ? [FEATURES.join(",")] : [];
  for (let i = 0; i < count; i++) {
    const row = boxRow(next);
    if (format === "csv") lines.push(row.join(","));
    else if (i % 2) lines.push(JSON.stringify(row));
    else lines.push(JSON.stringify(Object.fromEntries(FEATURES.map((f, k) => [f, row[k]]))));
  }
  return `${lines.join("\n")}\n`;
}
