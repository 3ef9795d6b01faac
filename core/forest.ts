/**
 * The compiled forest: every tree of an ml-random-forest classifier flattened into three
 * parallel arrays, so that a prediction walks typed arrays and allocates nothing.
 *
 * Layout (all trees concatenated, each tree in pre-order, so a split's left child is the next
 * node): `feature[i] >= 0` is a split on original column `feature[i]` at `threshold[i]`, going to
 * `i + 1` when `x < threshold` (strict, as the library does; NaN goes right) and to `right[i]`
 * otherwise. `feature[i] < 0` is a leaf voting for class `-1 - feature[i]`: the first index of the
 * maximum of the leaf's training distribution, as the library's `maxRowIndex` picks it.
 */
export interface CompiledForest {
  readonly classes: number;
  readonly features: number;
  /** Index of each tree's root node. */
  readonly roots: number[];
  readonly feature: number[];
  readonly threshold: number[];
  readonly right: number[];
}

/** The subset of ml-random-forest's `toJSON()` that prediction depends on. */
interface LibraryTreeNode {
  distribution?: number[][] | number[];
  splitColumn?: number;
  splitValue?: number;
  left?: LibraryTreeNode;
  right?: LibraryTreeNode;
}
export interface LibraryForestJson {
  baseModel: {
    indexes: number[][];
    estimators: { root: LibraryTreeNode }[];
  };
}

function firstArgmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

/** Flatten a trained (or loaded) library forest. */
export function compileForest(
  model: LibraryForestJson,
  classes: number,
  features: number,
): CompiledForest {
  const out = { classes, features, roots: [] as number[], feature: [] as number[] };
  const threshold: number[] = [];
  const right: number[] = [];
  const { indexes, estimators } = model.baseModel;

  const visit = (node: LibraryTreeNode, columns: number[]): void => {
    const at = out.feature.length;
    if (node.distribution !== undefined) {
      const dist = (
        Array.isArray(node.distribution[0]) ? node.distribution[0] : node.distribution
      ) as number[];
      out.feature.push(-1 - firstArgmax(dist));
      threshold.push(0);
      right.push(0);
      return;
    }
    const column = columns[node.splitColumn as number];
    if (column === undefined || node.left === undefined || node.right === undefined) {
      throw new Error(`malformed tree node at ${at}: split column or children missing`);
    }
    out.feature.push(column);
    threshold.push(node.splitValue as number);
    right.push(0);
    visit(node.left, columns);
    right[at] = out.feature.length;
    visit(node.right, columns);
  };

  estimators.forEach((tree, t) => {
    out.roots.push(out.feature.length);
    visit(tree.root, indexes[t] as number[]);
  });
  return { ...out, threshold, right };
}

/**
 * Check a compiled forest read from disk so that evaluation can trust it: every index in
 * range and every jump forward (so a walk always ends at a leaf).
 */
export function checkCompiledForest(forest: CompiledForest): void {
  const { roots, feature, threshold, right, classes, features } = forest;
  const n = feature.length;
  if (threshold.length !== n || right.length !== n)
    throw new Error("forest arrays differ in length");
  if (roots.length === 0) throw new Error("forest has no trees");
  roots.forEach((root, t) => {
    const end = t + 1 < roots.length ? (roots[t + 1] as number) : n;
    if (!(root < end)) throw new Error(`tree ${t} is empty`);
    for (let i = root; i < end; i++) {
      const f = feature[i] as number;
      if (!Number.isInteger(f) || f >= features || f < -classes) {
        throw new Error(`node ${i}: feature ${f} out of range`);
      }
      if (f >= 0) {
        const r = right[i] as number;
        if (!Number.isFinite(threshold[i])) throw new Error(`node ${i}: threshold is not finite`);
        if (!(Number.isInteger(r) && r > i + 1 && r < end))
          throw new Error(`node ${i}: bad right child ${r}`);
        if (i + 1 >= end) throw new Error(`node ${i}: left child outside its tree`);
      }
    }
  });
}

/**
 * Votes of a forest for one row: returns the winning class and leaves the per-class vote counts
 * in `votes`. The library takes the mode of the trees' labels with ml-array-mode, where on a tie
 * the class that *reached* the tied count first, in tree order, wins; the running `count > best`
 * reproduces exactly that.
 */
export type ForestVoter = (row: ArrayLike<number>, votes: Uint16Array) => number;

/**
 * Turn the flat arrays into one straight-line JavaScript function: a nested conditional per tree,
 * thresholds inlined as literals. It measured 3-4x faster than walking the typed arrays
 * (see bench/), because the walk's loads and loop are gone while the comparisons stay the same.
 *
 * Safe to generate: `checkCompiledForest` has proven every feature and label an integer in range
 * and every threshold a finite number, so the source holds nothing but those numbers, and
 * `String(number)` prints the shortest text that reads back as the same double, so `x < t` here
 * is the library's comparison to the bit.
 */
export function createForestVoter(forest: CompiledForest): ForestVoter {
  checkCompiledForest(forest);
  const { feature, threshold, right } = forest;
  const tree = (i: number): string => {
    const f = feature[i] as number;
    if (f < 0) return String(-1 - f);
    return `(x${f} < ${String(threshold[i])} ? ${tree(i + 1)} : ${tree(right[i] as number)})`;
  };
  const load = Array.from({ length: forest.features }, (_, f) => `x${f} = row[${f}]`).join(", ");
  const lines = forest.roots.map(
    (root) =>
      `label = ${tree(root)}; count = ++votes[label]; if (count > best) { best = count; winner = label; }`,
  );
  const body = [
    `votes.fill(0);`,
    `const ${load};`,
    `let winner = 0, best = 0, label = 0, count = 0;`,
    ...lines,
    `return winner;`,
  ];
  return new Function("row", "votes", body.join("\n")) as ForestVoter;
}
