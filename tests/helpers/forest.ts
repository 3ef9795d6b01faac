/**
 * Reference tools for checking the compiled forest against ml-random-forest: each library tree's
 * own vote, a compiled forest cut down to one tree, and rows built to reach a given split.
 */
import { Matrix, MatrixColumnSelectionView } from "ml-matrix";
import type { CompiledForest } from "../../core/forest.js";
import type { LibraryForest } from "./trained.js";

/**
 * Each library tree's label for every row: `labels[t][r]`. The tree sees the columns listed in
 * `indexes[t]`, so it is given the rows with those columns selected (a view, as the library
 * makes one; copying every row for every tree was 3x slower).
 */
export function libraryTreeLabels(library: LibraryForest, rows: readonly number[][]): number[][] {
  const matrix = new Matrix(rows as number[][]);
  return library.estimators.map((tree, t) =>
    tree.predict(new MatrixColumnSelectionView(matrix, library.indexes[t] as number[])),
  );
}

/** Per row, the number of library trees voting for each class. */
export function libraryVoteCounts(
  library: LibraryForest,
  rows: readonly number[][],
  classes: number,
): number[][] {
  const counts = rows.map(() => new Array<number>(classes).fill(0));
  for (const labels of libraryTreeLabels(library, rows)) {
    labels.forEach((label, r) => {
      const row = counts[r] as number[];
      row[label] = (row[label] as number) + 1;
    });
  }
  return counts;
}

/** The classes sharing the largest vote count: more than one means a tie. */
export function topClasses(counts: readonly number[]): number[] {
  const best = Math.max(...counts);
  return counts.flatMap((n, c) => (n === best ? [c] : []));
}

/** Tree `t` alone, as a forest of one tree (node indexes rebased to 0). */
export function singleTreeForest(forest: CompiledForest, t: number): CompiledForest {
  const start = forest.roots[t] as number;
  const end = t + 1 < forest.roots.length ? (forest.roots[t + 1] as number) : forest.feature.length;
  return {
    classes: forest.classes,
    features: forest.features,
    roots: [0],
    feature: forest.feature.slice(start, end),
    threshold: forest.threshold.slice(start, end),
    right: forest.right
      .slice(start, end)
      .map((r, i) => ((forest.feature[start + i] as number) >= 0 ? r - start : 0)),
  };
}

/** The nodes a row visits in tree `t`, root first, walking the arrays one node at a time. */
export function walk(forest: CompiledForest, t: number, row: ArrayLike<number>): number[] {
  const path: number[] = [];
  let i = forest.roots[t] as number;
  for (;;) {
    path.push(i);
    const f = forest.feature[i] as number;
    if (f < 0) return path;
    i = (row[f] as number) < (forest.threshold[i] as number) ? i + 1 : (forest.right[i] as number);
  }
}

export interface SplitNode {
  tree: number;
  node: number;
  feature: number;
  threshold: number;
  /** Per feature, the interval [lo, hi) a row must lie in to reach this node. */
  bounds: { lo: number; hi: number }[];
}

/** Every split of every tree, with the bounds its ancestors put on a row that reaches it. */
export function splitNodes(forest: CompiledForest): SplitNode[] {
  const out: SplitNode[] = [];
  const visit = (tree: number, i: number, bounds: { lo: number; hi: number }[]) => {
    const f = forest.feature[i] as number;
    if (f < 0) return;
    const t = forest.threshold[i] as number;
    out.push({ tree, node: i, feature: f, threshold: t, bounds });
    const left = bounds.map((b, k) => (k === f ? { lo: b.lo, hi: Math.min(b.hi, t) } : b));
    const right = bounds.map((b, k) => (k === f ? { lo: Math.max(b.lo, t), hi: b.hi } : b));
    visit(tree, i + 1, left);
    visit(tree, forest.right[i] as number, right);
  };
  forest.roots.forEach((root, tree) => {
    visit(
      tree,
      root,
      Array.from({ length: forest.features }, () => ({
        lo: Number.NEGATIVE_INFINITY,
        hi: Number.POSITIVE_INFINITY,
      })),
    );
  });
  return out;
}

/** A value inside [lo, hi), preferring `typical` when it fits. */
export function inside({ lo, hi }: { lo: number; hi: number }, typical: number): number {
  if (typical >= lo && typical < hi) return typical;
  if (Number.isFinite(lo) && Number.isFinite(hi)) {
    const mid = lo + (hi - lo) / 2;
    return mid >= lo && mid < hi ? mid : lo;
  }
  if (Number.isFinite(lo)) return lo + Math.max(1, Math.abs(lo));
  return hi - Math.max(1, Math.abs(hi));
}
