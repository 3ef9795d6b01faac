/**
 * Hand-made forests in ml-random-forest's own JSON form, so that a test can build a forest
 * node by node and load it both with the library and with the compiler.
 */

export type HandNode =
  | { leaf: number[] }
  | { column: number; at: number; left: HandNode; right: HandNode };

export interface HandTree {
  /** The original columns this tree sees; `column` in a split indexes into this list. */
  indexes: number[];
  root: HandNode;
}

interface JsonNode {
  distribution?: number[][];
  splitColumn?: number;
  splitValue?: number;
  left?: JsonNode;
  right?: JsonNode;
}

function nodeJson(node: HandNode): JsonNode {
  if ("leaf" in node) return { distribution: [node.leaf] };
  return {
    splitColumn: node.column,
    splitValue: node.at,
    left: nodeJson(node.left),
    right: nodeJson(node.right),
  };
}

/** The JSON `RandomForestClassifier.load` takes and `compileForest` reads. */
export function forestJson(trees: readonly HandTree[]) {
  return {
    name: "RFClassifier" as const,
    baseModel: {
      indexes: trees.map((t) => t.indexes),
      estimators: trees.map((t) => ({
        name: "DTClassifier",
        options: { kind: "classifier" },
        root: nodeJson(t.root),
      })),
      nEstimators: trees.length,
      isClassifier: true,
      n: trees[0]?.indexes.length ?? 0,
      replacement: true,
      maxFeatures: 1,
      seed: 0,
      useSampleBagging: true,
      treeOptions: {},
    },
  };
}

/** Every split value in a hand-made tree. */
export function handThresholds(node: HandNode): number[] {
  return "leaf" in node
    ? []
    : [node.at, ...handThresholds(node.left), ...handThresholds(node.right)];
}

/** A one-split tree on column 0 voting `below` when x < at and `above` otherwise. */
export const stump = (at: number, below: number, above: number, classes = 3): HandTree => {
  const leaf = (c: number) => ({
    leaf: Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0)),
  });
  return { indexes: [0, 1, 2, 3], root: { column: 0, at, left: leaf(below), right: leaf(above) } };
};

/** A tree of a single leaf, voting for class `c` whatever the row. */
export const constantTree = (c: number, classes = 3): HandTree => ({
  indexes: [0, 1, 2, 3],
  root: { leaf: Array.from({ length: classes }, (_, k) => (k === c ? 1 : 0)) },
});
