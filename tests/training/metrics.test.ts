/** Classification metrics on hand-made examples (training/metrics.ts). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { evaluate, meanAndStd } from "../../training/metrics.js";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual}, expected ${expected}`);

describe("evaluate", () => {
  it("counts a hand-made three-class example", () => {
    // truth:     a a a a b b b c c c
    // predicted: a a b c b b a c c b
    const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    const predicted = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
    const result = evaluate(truth, predicted, ["a", "b", "c"]);
    assert.deepEqual(result.confusion_matrix, [
      [2, 1, 1],
      [1, 2, 0],
      [0, 1, 2],
    ]);
    close(result.accuracy, 6 / 10, "accuracy");
    const a = result.per_class.a;
    const b = result.per_class.b;
    const c = result.per_class.c;
    assert.ok(a && b && c);
    // a: tp 2, predicted as a 3, support 4
    close(a.precision, 2 / 3, "precision a");
    close(a.recall, 2 / 4, "recall a");
    close(a.f1, (2 * (2 / 3) * (2 / 4)) / (2 / 3 + 2 / 4), "f1 a");
    assert.equal(a.support, 4);
    // b: tp 2, predicted as b 4, support 3
    close(b.precision, 2 / 4, "precision b");
    close(b.recall, 2 / 3, "recall b");
    assert.equal(b.support, 3);
    // c: tp 2, predicted as c 3, support 3
    close(c.precision, 2 / 3, "precision c");
    close(c.recall, 2 / 3, "recall c");
    close(c.f1, 2 / 3, "f1 c");
  });

  it("gives 1 everywhere for a perfect prediction", () => {
    const truth = [0, 1, 2, 2, 1, 0];
    const result = evaluate(truth, truth, ["a", "b", "c"]);
    assert.equal(result.accuracy, 1);
    for (const m of Object.values(result.per_class)) {
      assert.deepEqual([m.precision, m.recall, m.f1, m.support], [1, 1, 1, 2]);
    }
  });

  it("gives 0, not NaN, where a ratio has nothing to divide: a class never predicted, a class never present", () => {
    // class b is never predicted (precision 0/0); class c never occurs (recall 0/0)
    const result = evaluate([0, 0, 1, 1], [0, 0, 0, 0], ["a", "b", "c"]);
    assert.deepEqual(result.per_class.b, { precision: 0, recall: 0, f1: 0, support: 2 });
    assert.deepEqual(result.per_class.c, { precision: 0, recall: 0, f1: 0, support: 0 });
    close(result.per_class.a?.precision as number, 0.5, "precision a");
    assert.equal(result.per_class.a?.recall, 1);
    close(result.per_class.a?.f1 as number, 2 / 3, "f1 a");
    close(result.accuracy, 0.5, "accuracy");
    // a class predicted but never present: precision 0, recall 0/0 = 0
    const spurious = evaluate([0, 0], [0, 2], ["a", "b", "c"]);
    assert.deepEqual(spurious.per_class.c, { precision: 0, recall: 0, f1: 0, support: 0 });
    // nothing at all
    const empty = evaluate([], [], ["a", "b"]);
    assert.equal(empty.accuracy, 0);
    assert.deepEqual(empty.confusion_matrix, [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(empty.per_class.a, { precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it("keeps its invariants on any labels (property)", () => {
    const classes = ["a", "b", "c", "d"];
    const pairs = fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(pairs, (p) => {
        const truth = p.map(([t]) => t);
        const predicted = p.map(([, q]) => q);
        const r = evaluate(truth, predicted, classes);
        const total = r.confusion_matrix.flat().reduce((x, y) => x + y, 0);
        assert.equal(total, p.length);
        close(r.accuracy, p.filter(([t, q]) => t === q).length / p.length, "accuracy");
        classes.forEach((name, c) => {
          const m = r.per_class[name];
          assert.ok(m);
          assert.equal(m.support, truth.filter((t) => t === c).length);
          for (const x of [m.precision, m.recall, m.f1]) assert.ok(x >= 0 && x <= 1);
          assert.ok(m.f1 <= Math.max(m.precision, m.recall) + 1e-12);
          assert.ok(m.f1 >= Math.min(m.precision, m.recall) - 1e-12);
        });
      }),
    );
  });
});

describe("meanAndStd", () => {
  it("gives the mean and the sample standard deviation", () => {
    const { mean, std } = meanAndStd([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(mean, 5);
    close(std, Math.sqrt(32 / 7), "std");
    assert.deepEqual(meanAndStd([0.9]), { mean: 0.9, std: 0 });
    assert.deepEqual(meanAndStd([1, 1, 1]), { mean: 1, std: 0 });
  });
});
