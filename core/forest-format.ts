/**
 * The forest as compiled.json stores it since format 2: only what the layout cannot imply.
 *
 * A CompiledForest (forest.ts) keeps every tree in pre-order, so a split's left child is the next
 * node, and its `right`, `roots` and leaves' zero thresholds follow from the sequence of nodes
 * alone: a pre-order sequence of splits and leaves has exactly one parse into whole trees. So the
 * file keeps `feature` (the node sequence, as forest.ts spells it) and `threshold` for the splits
 * only, in node order, as the same doubles; reading rebuilds the other arrays. Nothing is rounded:
 * `unpackForest(packForest(f))` is `f` to the bit, so every prediction is the one format 1 gave.
 * Measured on the default model: compiled.json 2,425 -> 1,446 bytes gzipped (format 1 -> 2).
 */
import type { CompiledForest } from "./forest.js";

export interface StoredForest {
  readonly classes: number;
  readonly features: number;
  /** Every node of every tree, pre-order, trees one after another: `>= 0` a split, `< 0` a leaf. */
  readonly feature: readonly number[];
  /** One threshold per split, in node order. */
  readonly threshold: readonly number[];
}

/**
 * Rebuild roots, right children and per-node thresholds. Throws (a plain Error; the artifact
 * reader words it) when the sequence is not whole trees or the thresholds do not match the
 * splits; ranges are checkCompiledForest's job, run on the result.
 */
export function unpackForest(stored: StoredForest): CompiledForest {
  const { classes, features, feature } = stored;
  const splits = stored.threshold;
  const n = feature.length;
  const roots: number[] = [];
  const threshold = new Array<number>(n);
  const right = new Array<number>(n);
  // splits whose left subtree is being read: the next leaf closes the innermost one, and the
  // node after that leaf is its right child; a leaf with none open ends its tree
  const open: number[] = [];
  let inTree = false;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!inTree) {
      roots.push(i);
      inTree = true;
    }
    right[i] = 0;
    if ((feature[i] as number) >= 0) {
      if (s >= splits.length) throw new Error(`fewer thresholds (${splits.length}) than splits`);
      threshold[i] = splits[s++] as number;
      open.push(i);
    } else {
      threshold[i] = 0;
      const parent = open.pop();
      if (parent === undefined) inTree = false;
      else right[parent] = i + 1;
    }
  }
  if (inTree) throw new Error(`the last tree (from node ${roots.at(-1)}) ends before its leaves`);
  if (s !== splits.length)
    throw new Error(`${splits.length} thresholds for ${s} splits: they must match`);
  return { classes, features, roots, feature: [...feature], threshold, right };
}

/**
 * The stored form of a forest in compileForest's layout. Refuses one that would not read back
 * as itself (another layout), so what is written is always exactly what is predicted with.
 */
export function packForest(forest: CompiledForest): StoredForest {
  const { classes, features, feature } = forest;
  const stored = {
    classes,
    features,
    feature: [...feature],
    threshold: forest.threshold.filter((_, i) => (feature[i] as number) >= 0),
  };
  const back = unpackForest(stored);
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  if (
    !same(back.roots, forest.roots) ||
    !same(back.right, forest.right) ||
    !same(back.threshold, forest.threshold)
  ) {
    throw new Error("the forest is not in pre-order layout: it cannot be stored compactly");
  }
  return stored;
}
