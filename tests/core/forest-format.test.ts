/**
 * core/forest-format.ts: compiled.json's compact forest (format 2) must read back as exactly the
 * forest format 1 stored, so that no prediction changes; and an artifact of format 1, as the
 * code before it wrote one, must still load and predict what ml-random-forest predicts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { RandomForestClassifier } from "ml-random-forest";
import { unpackTarGz } from "../../core/archive.js";
import { ARTIFACT_FORMAT_1, MODEL_JSON } from "../../core/artifact.js";
import {
  type CompiledForest,
  compileForest,
  createForestVoter,
  type LibraryForestJson,
} from "../../core/forest.js";
import { packForest, unpackForest } from "../../core/forest-format.js";
import { loadPredictor } from "../../core/predictor.js";
import { nextDown, nextUp } from "../helpers/float.js";
import { splitNodes } from "../helpers/forest.js";
import { forestJson, type HandNode, handThresholds } from "../helpers/library-json.js";
import type { LibraryForest } from "../helpers/trained.js";
import { trainedModel } from "../helpers/trained.js";

const CLASSES = 3;
/** What a file holds after JSON: how both formats reach the reader. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const threshold = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.constantFrom(0, -0, 1, 2.45, 2.5999999999999996, 0.1 + 0.2),
);
const { node } = fc.letrec<{ node: HandNode; leaf: HandNode; split: HandNode }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("split")),
  leaf: fc.array(fc.nat(4), { minLength: CLASSES, maxLength: CLASSES }).map((leaf) => ({ leaf })),
  split: fc.record({ column: fc.nat(3), at: threshold, left: tie("node"), right: tie("node") }),
}));
const trees = fc.array(
  fc.record({ indexes: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }), root: node }),
  { minLength: 1, maxLength: 12 },
);

/** Rows on, just below and just above every threshold, and anywhere. */
function rowsNear(thresholds: readonly number[]): fc.Arbitrary<number[][]> {
  const near = [0, ...thresholds, ...thresholds.map(nextUp), ...thresholds.map(nextDown)];
  const value = fc.oneof(fc.double(), fc.constantFrom(...near));
  return fc.array(fc.tuple(value, value, value, value), { minLength: 1, maxLength: 40 });
}

describe("core/forest-format.ts", () => {
  it("reads back as the very forest format 1 stored, for random forests (property)", () => {
    fc.assert(
      fc.property(trees, (hand) => {
        const forest = compileForest(forestJson(hand) as LibraryForestJson, CLASSES, 4);
        assert.deepEqual(unpackForest(throughJson(packForest(forest))), throughJson(forest));
      }),
      { numRuns: 300 },
    );
  });

  it("predicts what ml-random-forest predicts, on and around every threshold (property)", () => {
    const scenario = trees.chain((hand) =>
      fc.record({
        hand: fc.constant(hand),
        rows: rowsNear(hand.flatMap((t) => handThresholds(t.root))),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ hand, rows }) => {
        const json = forestJson(hand);
        const library = RandomForestClassifier.load(JSON.parse(JSON.stringify(json)));
        const stored = throughJson(packForest(compileForest(json as LibraryForestJson, 3, 4)));
        const vote = createForestVoter(unpackForest(stored));
        const votes = new Uint16Array(CLASSES);
        const expected = library.predict(rows);
        rows.forEach((row, r) => {
          assert.equal(vote(row, votes), expected[r], `row ${row}`);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("keeps only the splits' thresholds, and every trained forest reads back as itself", async () => {
    for (const options of [{}, { trees: 1 }, { trees: 24, minSamples: 1, gainThreshold: 0 }]) {
      const { compiled } = await trainedModel(options);
      const stored = packForest(compiled.forest);
      const splits = compiled.forest.feature.filter((f) => f >= 0).length;
      assert.equal(stored.threshold.length, splits);
      assert.deepEqual(unpackForest(throughJson(stored)), compiled.forest);
    }
  });

  const stump = { classes: 3, features: 4, feature: [2, -1, -3], threshold: [2.45] };
  const refused: [string, typeof stump, RegExp][] = [
    ["a tree cut short", { ...stump, feature: [2, -1] }, /last tree \(from node 0\) ends/],
    ["a split with no threshold", { ...stump, threshold: [] }, /fewer thresholds \(0\)/],
    ["a threshold too many", { ...stump, threshold: [2.45, 1] }, /2 thresholds for 1 splits/],
  ];
  for (const [what, stored, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => unpackForest(stored), message);
    });
  }

  it("splits a sequence into its trees: a lone leaf is a tree", () => {
    const forest = unpackForest({ ...stump, feature: [-2, 2, -1, -3, -1] });
    assert.deepEqual(forest.roots, [0, 1, 4]);
    assert.deepEqual(forest.right, [0, 3, 0, 0, 0]);
    assert.deepEqual(forest.threshold, [0, 2.45, 0, 0, 0]);
  });

  it("refuses to store a forest in another layout than compileForest's", () => {
    // valid for checkCompiledForest, but node 2 is unreachable: not a pre-order of one tree
    const skipping: CompiledForest = {
      classes: 3,
      features: 4,
      roots: [0],
      feature: [2, -1, -2, -3],
      threshold: [2.45, 0, 0, 0],
      right: [3, 0, 0, 0],
    };
    assert.throws(() => packForest(skipping), /not in pre-order layout/);
  });
});

describe("an artifact of format 1 (written by the code before format 2)", () => {
  const path = join(__dirname, "..", "fixtures", "model-format-1", "model.tar.gz");

  it("loads, and predicts what ml-random-forest predicts with its model.json", async () => {
    const tarball = readFileSync(path);
    const predictor = await loadPredictor(tarball);
    assert.equal(predictor.manifest.format, ARTIFACT_FORMAT_1);
    const files = await unpackTarGz(tarball);
    const library = RandomForestClassifier.load(
      JSON.parse(new TextDecoder().decode(files.get(MODEL_JSON))),
    ) as unknown as LibraryForest;
    const rows = splitNodes(predictor.compiled.forest).flatMap(({ feature, threshold }) =>
      [nextDown(threshold), threshold, nextUp(threshold)].map((x) => {
        const row = [5.8, 3, 4.35, 1.3];
        row[feature] = x;
        return row;
      }),
    );
    assert.ok(rows.length > 10);
    const expected = library.predict(rows);
    rows.forEach((row, r) => {
      assert.equal(predictor.classify(row), expected[r], `row ${row}`);
    });
    // and it would be stored in format 2 losslessly
    const forest = predictor.compiled.forest;
    assert.deepEqual(unpackForest(throughJson(packForest(forest))), forest);
  });
});
