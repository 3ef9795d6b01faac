/**
 * Exactness: the compiled forest must give the species ml-random-forest's `predict()` gives, on
 * every row, and vote fractions equal to the library trees' own votes. See
 * shared/reference/performance-notes.md for the library's rules (strict `x < t`, NaN right,
 * mode tie-break "first class to reach the tied count in tree order").
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import arrayMode from "ml-array-mode";
import { RandomForestClassifier } from "ml-random-forest";
import {
  type CompiledForest,
  checkCompiledForest,
  compileForest,
  createForestVoter,
  type LibraryForestJson,
} from "../../core/forest.js";
import { nextDown, nextUp } from "../helpers/float.js";
import {
  inside,
  libraryTreeLabels,
  libraryVoteCounts,
  singleTreeForest,
  splitNodes,
  topClasses,
  walk,
} from "../helpers/forest.js";
import {
  constantTree,
  forestJson,
  type HandNode,
  type HandTree,
  handThresholds,
  stump,
} from "../helpers/library-json.js";
import { featureMaxima, type LibraryForest, trainedModel } from "../helpers/trained.js";

const CLASSES = 3;

/** Build a hand-made forest both ways: the library's loaded classifier and the compiled voter. */
function bothWays(trees: readonly HandTree[]) {
  const json = forestJson(trees);
  const library = RandomForestClassifier.load(
    JSON.parse(JSON.stringify(json)),
  ) as unknown as LibraryForest;
  const compiled = compileForest(json as LibraryForestJson, CLASSES, 4);
  const vote = createForestVoter(compiled);
  const votes = new Uint16Array(CLASSES);
  return {
    library,
    compiled,
    classify: (row: ArrayLike<number>) => vote(row, votes),
    votes: (row: ArrayLike<number>) => {
      vote(row, votes);
      return [...votes];
    },
  };
}

describe("nextUp / nextDown (test helper)", () => {
  it("step to the neighbouring double", () => {
    assert.equal(nextUp(1), 1 + Number.EPSILON);
    assert.equal(nextDown(1), 1 - Number.EPSILON / 2);
    assert.equal(nextUp(0), Number.MIN_VALUE);
    assert.equal(nextUp(-0), Number.MIN_VALUE);
    assert.equal(nextDown(0), -Number.MIN_VALUE);
    assert.equal(nextUp(-Number.MIN_VALUE), -0);
    assert.equal(nextUp(Number.MAX_VALUE), Number.POSITIVE_INFINITY);
    assert.equal(nextDown(Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(nextUp(Number.NaN)));
  });
  it("leave no double in between (property)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const up = nextUp(x);
        const down = nextDown(x);
        assert.ok(down < x && x < up, `${down} < ${x} < ${up}`);
        // stepping back returns to x (0 and -0 compare equal: both are the double 0)
        assert.ok(nextDown(up) === x && nextUp(down) === x);
        // the midpoint of two neighbours rounds to one of them: nothing lies in between
        const mid = x / 2 + up / 2;
        assert.ok(!Number.isFinite(up) || mid === x || mid === up);
      }),
    );
  });
});

describe("compiled forest on hand-made forests", () => {
  it("sends a row equal to the split value right (strict x < t) and the double below left", () => {
    const forest = bothWays([stump(2.5, 0, 1)]);
    for (const [x, expected] of [
      [2.5, 1],
      [nextDown(2.5), 0],
      [nextUp(2.5), 1],
      [-1e308, 0],
      [1e308, 1],
      [Number.NEGATIVE_INFINITY, 0],
      [Number.POSITIVE_INFINITY, 1],
    ] as const) {
      const row = [x, 1, 1, 1];
      assert.equal(forest.classify(row), expected, `x = ${x}`);
      assert.deepEqual(forest.library.predict([row]), [expected], `library, x = ${x}`);
    }
  });

  it("sends NaN right, as the library does", () => {
    const forest = bothWays([stump(2.5, 0, 2)]);
    const row = [Number.NaN, 1, 1, 1];
    assert.equal(forest.classify(row), 2);
    assert.deepEqual(forest.library.predict([row]), [2]);
  });

  it("compares -0 and 0 with a zero threshold as the library does", () => {
    for (const at of [0, -0]) {
      const forest = bothWays([stump(at, 0, 1)]);
      for (const x of [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE]) {
        const row = [x, 1, 1, 1];
        assert.deepEqual([forest.classify(row)], forest.library.predict([row]), `t=${at} x=${x}`);
      }
    }
  });

  it("labels a leaf with the first class of largest training count", () => {
    for (const [distribution, expected] of [
      [[2, 5, 5], 1],
      [[5, 5, 5], 0],
      [[0, 0, 3], 2],
      [[0.25, 0.5, 0.25], 1],
    ] as const) {
      const forest = bothWays([{ indexes: [0, 1, 2, 3], root: { leaf: [...distribution] } }]);
      assert.equal(forest.classify([1, 1, 1, 1]), expected, String(distribution));
      assert.deepEqual(forest.library.predict([[1, 1, 1, 1]]), [expected]);
    }
  });

  it("breaks vote ties for the class that reached the tied count first, in tree order", () => {
    // each case: the trees' labels in order, and the winner by the library's rule
    const cases: [number[], number][] = [
      [[2, 0], 2], // not the lowest class
      [[0, 2], 0],
      [[2, 1, 2, 1], 2], // 2 reaches 2 votes first
      [[1, 2, 2, 1], 2],
      [[2, 1, 1, 2], 1],
      [[2, 2, 1, 1, 0, 0], 2],
      [[0, 1, 2], 0],
      [[2, 1, 0], 2],
      [[1, 1, 0, 2, 2, 0], 1], // three-way tie
    ];
    for (const [labels, expected] of cases) {
      assert.equal(arrayMode(labels), expected, `ml-array-mode(${labels})`);
      const forest = bothWays(labels.map((c) => constantTree(c)));
      assert.equal(forest.classify([1, 1, 1, 1]), expected, `labels ${labels}`);
      assert.deepEqual(forest.library.predict([[1, 1, 1, 1]]), [expected], `library ${labels}`);
      const counts = [0, 1, 2].map((c) => labels.filter((l) => l === c).length);
      assert.deepEqual(forest.votes([1, 1, 1, 1]), counts);
    }
  });

  it("follows a tree's column list, duplicates included", () => {
    // the tree sees [petal_width, petal_width, sepal_length, sepal_width]; its column 1 is feature 3
    const tree: HandTree = {
      indexes: [3, 3, 0, 1],
      root: {
        column: 1,
        at: 1,
        left: { leaf: [1, 0, 0] },
        right: { column: 2, at: 6, left: { leaf: [0, 1, 0] }, right: { leaf: [0, 0, 1] } },
      },
    };
    const forest = bothWays([tree]);
    for (const row of [
      [9, 9, 9, 0.5],
      [5, 9, 9, 1.5],
      [7, 9, 9, 1.5],
      [1, 0.1, 0.1, 1],
    ]) {
      assert.deepEqual([forest.classify(row)], forest.library.predict([row]), String(row));
    }
    assert.equal(forest.classify([5, 9, 9, 1.5]), 1);
    assert.equal(forest.classify([7, 9, 9, 1.5]), 2);
  });

  it("agrees with the library on random forests of random trees (property)", () => {
    const threshold = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: -10, max: 10, noNaN: true }),
      fc.constantFrom(0, -0, 1, 2.5, 0.1 + 0.2),
    );
    const { node } = fc.letrec<{ node: HandNode; leaf: HandNode; split: HandNode }>((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("split")),
      leaf: fc
        .array(fc.nat(4), { minLength: CLASSES, maxLength: CLASSES })
        .map((leaf) => ({ leaf })),
      split: fc.record({
        column: fc.nat(3),
        at: threshold,
        left: tie("node"),
        right: tie("node"),
      }),
    }));
    const tree = fc.record({
      indexes: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }),
      root: node,
    });
    const scenario = fc.array(tree, { minLength: 1, maxLength: 12 }).chain((trees) => {
      const ts = trees.flatMap((t) => handThresholds(t.root));
      const near = [0, ...ts, ...ts.map(nextUp), ...ts.map(nextDown)];
      const value = fc.oneof(fc.double(), fc.constantFrom(...near));
      const row = fc.tuple(value, value, value, value);
      return fc.record({
        trees: fc.constant(trees),
        rows: fc.array(row, { minLength: 1, maxLength: 40 }),
      });
    });
    fc.assert(
      fc.property(scenario, ({ trees, rows }) => {
        const forest = bothWays(trees);
        const expected = forest.library.predict(rows);
        const counts = libraryVoteCounts(forest.library, rows, CLASSES);
        rows.forEach((row, r) => {
          assert.equal(forest.classify(row), expected[r], `row ${row}`);
          assert.deepEqual(forest.votes(row), counts[r], `votes for row ${row}`);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe("checkCompiledForest / createForestVoter refuse a malformed forest", () => {
  const good = (): CompiledForest => ({
    classes: 3,
    features: 4,
    roots: [0, 3],
    feature: [2, -1, -3, -2],
    threshold: [2.45, 0, 0, 0],
    right: [2, 0, 0, 0],
  });

  it("accepts a well-formed forest", () => {
    checkCompiledForest(good());
    const vote = createForestVoter(good());
    const votes = new Uint16Array(3);
    assert.equal(vote([5, 3, 1, 0.2], votes), 0);
    assert.deepEqual([...votes], [1, 1, 0]);
  });

  const broken: [string, (f: CompiledForest) => CompiledForest, RegExp][] = [
    ["arrays of different length", (f) => ({ ...f, threshold: [2.45] }), /differ in length/],
    ["no trees", (f) => ({ ...f, roots: [] }), /no trees/],
    ["an empty tree", (f) => ({ ...f, roots: [0, 4] }), /tree 1 is empty/],
    ["a feature out of range", (f) => ({ ...f, feature: [4, -1, -3, -2] }), /feature 4/],
    ["a label out of range", (f) => ({ ...f, feature: [2, -1, -4, -2] }), /feature -4/],
    ["a fractional feature", (f) => ({ ...f, feature: [1.5, -1, -3, -2] }), /feature 1.5/],
    ["a NaN threshold", (f) => ({ ...f, threshold: [Number.NaN, 0, 0, 0] }), /not finite/],
    [
      "an infinite threshold",
      (f) => ({ ...f, threshold: [Number.POSITIVE_INFINITY, 0, 0, 0] }),
      /not finite/,
    ],
    ["a right child pointing back", (f) => ({ ...f, right: [0, 0, 0, 0] }), /bad right child/],
    ["a right child in the next tree", (f) => ({ ...f, right: [3, 0, 0, 0] }), /bad right child/],
    [
      "a split whose left child is outside its tree",
      (f) => ({ ...f, roots: [0], feature: [-1, -1, -1, 2], right: [0, 0, 0, 0] }),
      /left child outside|bad right child/,
    ],
  ];
  for (const [what, breakIt, message] of broken) {
    it(`refuses ${what}`, () => {
      assert.throws(() => checkCompiledForest(breakIt(good())), message);
      assert.throws(() => createForestVoter(breakIt(good())), message);
    });
  }

  it("compileForest refuses a split node without children", () => {
    const json = forestJson([stump(1, 0, 1)]) as unknown as LibraryForestJson;
    delete (json.baseModel.estimators[0] as { root: { left?: unknown } }).root.left;
    assert.throws(() => compileForest(json, 3, 4), /malformed tree node at 0/);
  });
});

/** Trained models the exactness properties run on, and whether their votes can tie. */
const SETTINGS: { name: string; options: Record<string, unknown>; even: boolean }[] = [
  { name: "train() defaults (50 trees, seed 42)", options: {}, even: true },
  { name: "1 tree", options: { trees: 1 }, even: false },
  { name: "2 trees (every disagreement is a tie)", options: { trees: 2, seed: 3 }, even: true },
  { name: "7 trees, maxDepth 2", options: { trees: 7, maxDepth: 2 }, even: false },
  {
    name: "10 trees, no bagging, 2 features without replacement",
    options: { trees: 10, bagging: false, replacement: false, maxFeatures: 2, seed: 11 },
    even: true,
  },
  {
    name: "24 trees, minSamples 1, gainThreshold 0 (deep trees)",
    options: { trees: 24, minSamples: 1, gainThreshold: 0, seed: 5 },
    even: true,
  },
  { name: "200 trees, seed 7", options: { trees: 200, seed: 7 }, even: true },
];

const RANDOM_ROWS = 100_000;
const BATCH = 1_000;

/** Random rows: mostly uniform in [0, 1.5 × max] per feature, some exactly on a split value or next to it, some extremes. */
function rowArbitrary(forest: CompiledForest): fc.Arbitrary<number[]> {
  const maxima = featureMaxima();
  const extremes = [0, -0, Number.MIN_VALUE, 1e-300, Number.MAX_VALUE, -Number.MAX_VALUE];
  extremes.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 1e6);
  const features = maxima.map((max, f) => {
    const ts = forest.threshold.filter((_, i) => forest.feature[i] === f);
    const onSplit = [...ts, ...ts.map(nextUp), ...ts.map(nextDown)];
    const uniform = fc.noBias(fc.maxSafeNat()).map((k) => (k / 2 ** 53) * 1.5 * max);
    return fc.oneof(
      { weight: 40, arbitrary: uniform },
      { weight: onSplit.length > 0 ? 4 : 0, arbitrary: fc.constantFrom(0, ...onSplit) },
      { weight: 1, arbitrary: fc.constantFrom(...extremes) },
    );
  });
  return fc.tuple(...features);
}

for (const setting of SETTINGS) {
  describe(`compiled forest ≡ ml-random-forest predict(): ${setting.name}`, function () {
    this.timeout(120_000);
    let library: LibraryForest;
    let compiled: CompiledForest;
    let classify: (row: ArrayLike<number>) => number;
    let predict: (row: ArrayLike<number>) => { probabilities: Record<string, number> };
    let classes: readonly string[];

    before(async () => {
      const model = await trainedModel(setting.options);
      library = model.library;
      compiled = model.compiled.forest;
      classify = model.predictor.classify;
      predict = model.predictor.predict;
      classes = model.predictor.classes;
      assert.equal(compiled.roots.length, model.options.trees);
      assert.equal(library.estimators.length, model.options.trees);
    });

    it(`gives predict()'s species on ${RANDOM_ROWS.toLocaleString("en")} random rows, votes and probabilities included`, () => {
      const trees = compiled.roots.length;
      let rowsChecked = 0;
      let ties = 0;
      let tiesNotLowestClass = 0;
      fc.assert(
        fc.property(
          fc.array(rowArbitrary(compiled), { minLength: BATCH, maxLength: BATCH }),
          (rows) => {
            const expected = library.predict(rows);
            const counts = libraryVoteCounts(library, rows, classes.length);
            rows.forEach((row, r) => {
              const label = expected[r] as number;
              assert.equal(classify(row), label, `row [${row}]`);
              const count = counts[r] as number[];
              const { probabilities } = predict(row);
              assert.deepEqual(
                Object.values(probabilities),
                count.map((n) => n / trees),
                `probabilities of row [${row}]`,
              );
              assert.deepEqual(Object.keys(probabilities), classes);
              const sum = Object.values(probabilities).reduce((a, b) => a + b, 0);
              assert.ok(Math.abs(sum - 1) < 1e-12, `probabilities sum to ${sum}`);
              const top = topClasses(count);
              if (top.length > 1) {
                ties++;
                if (label !== top[0]) tiesNotLowestClass++;
              }
              assert.ok(top.includes(label), "the winner has the most votes");
            });
            rowsChecked += rows.length;
          },
        ),
        // no shrinking: a batch of 1,000 rows shrinks slowly, and the message names the row
        { numRuns: RANDOM_ROWS / BATCH, endOnFailure: true },
      );
      assert.equal(rowsChecked, RANDOM_ROWS);
      if (setting.even) {
        // the tie-break is exercised: ties happened, and some were won by a class that is not
        // the lowest of the tied ones (where a naive argmax would disagree)
        assert.ok(ties > 0, "no vote tie in the sample");
        assert.ok(tiesNotLowestClass > 0, `${ties} ties, all won by the lowest class`);
      }
    });

    it("agrees on rows placed on every split value of every tree, and the doubles either side", () => {
      const typical = [5.8, 3.0, 4.35, 1.3];
      const nodes = splitNodes(compiled);
      assert.ok(nodes.length >= compiled.roots.length - 1);
      const rows: number[][] = [];
      const targets: { tree: number; node: number }[] = [];
      let reached = 0;
      for (const split of nodes) {
        const base = split.bounds.map((b, f) => inside(b, typical[f] as number));
        for (const x of [nextDown(split.threshold), split.threshold, nextUp(split.threshold)]) {
          const row = [...base];
          row[split.feature] = x;
          rows.push(row);
          targets.push(split);
          const path = walk(compiled, split.tree, row);
          if (path.includes(split.node)) {
            reached++;
            // at the node: x < t goes left (the next node), x >= t goes right
            const next = path[path.indexOf(split.node) + 1];
            assert.equal(next === split.node + 1, x < split.threshold);
          }
        }
      }
      // the rows were built to reach their node; nearly all must (a neighbour of t can fall
      // past an ancestor's bound when two splits are one double apart)
      assert.ok(
        reached >= 0.95 * rows.length,
        `${reached} of ${rows.length} rows reached their split`,
      );

      const expected = library.predict(rows);
      rows.forEach((row, r) => {
        assert.equal(classify(row), expected[r], `row [${row}]`);
      });

      // and each tree alone agrees with the library tree it came from
      const treeLabels = libraryTreeLabels(library, rows);
      const perTree = compiled.roots.map((_, t) => {
        const vote = createForestVoter(singleTreeForest(compiled, t));
        const votes = new Uint16Array(classes.length);
        return (row: number[]) => vote(row, votes);
      });
      rows.forEach((row, r) => {
        const { tree } = targets[r] as { tree: number };
        assert.equal(
          (perTree[tree] as (row: number[]) => number)(row),
          (treeLabels[tree] as number[])[r],
          `tree ${tree}, row [${row}]`,
        );
      });
    });
  });
}
