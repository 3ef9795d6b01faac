/** Drift figures (monitoring/drift.ts) against independent computations, and their verdicts. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computeDrift,
  DEFAULT_THRESHOLDS,
  groupVerdict,
  ksCritical,
  PSI_EPSILON,
  psi,
} from "../../monitoring/drift.js";
import type { CaptureRecord, TrainingProfile, Verdict } from "../../monitoring/types.js";
import { handProfile, ksBruteForce, profileOf, recordOf } from "../helpers/drift.js";

const WINDOW = { since: new Date("2026-11-01T00:00:00Z"), until: new Date("2026-11-08T00:00:00Z") };

const drift = (
  profile: TrainingProfile,
  records: Iterable<CaptureRecord> | AsyncIterable<CaptureRecord>,
) => computeDrift({ modelVersion: "0123456789abcdef", profile, records, ...WINDOW });

const close = (actual: number, expected: number, what = "") =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);

/** Traffic whose four features are each of `values`. */
const traffic = (values: readonly number[]) => values.map((v) => recordOf(v));

// small integers give many ties, the case where KS is easiest to get wrong
const sample = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 });
const doubles = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }), {
  minLength: 1,
  maxLength: 40,
});

describe("monitoring/drift.ts", () => {
  describe("PSI", () => {
    it("equals the sum worked by hand: two halves, traffic 3/4 and 1/4", async () => {
      const profile = handProfile([0], [0.5, 0.5], [-1, 1]);
      const report = await drift(profile, traffic([-1, -2, -3, 4]));
      // (0.75 - 0.5) ln(0.75 / 0.5) + (0.25 - 0.5) ln(0.25 / 0.5)
      const expected = 0.25 * Math.log(1.5) + -0.25 * Math.log(0.5);
      for (const f of report.overall.features) {
        close(f.psi, expected, f.feature);
        assert.deepEqual(f.traffic_shares, [0.75, 0.25]);
      }
      close(expected, 0.2746530721670274);
    });

    it("counts an empty traffic bin as PSI_EPSILON (1e-4), as documented", async () => {
      const profile = handProfile([0], [0.5, 0.5], [-1, 1]);
      const report = await drift(profile, traffic([-1, -1]));
      assert.equal(PSI_EPSILON, 1e-4);
      const expected = (1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5);
      close(report.overall.features[0]?.psi as number, expected);
    });

    it("on decile bins, equals a plain recount of both samples (property)", async () => {
      await fc.assert(
        fc.asyncProperty(doubles, doubles, async (train, seen) => {
          const profile = profileOf(train);
          const { edges } = profile.features.sepal_length;
          // the bin of a value: the number of edges at or below it, counted plainly
          const share = (values: readonly number[], bin: number) =>
            values.filter((v) => edges.filter((e) => e <= v).length === bin).length / values.length;
          let expected = 0;
          for (let bin = 0; bin <= edges.length; bin++) {
            const p = Math.max(share(train, bin), 1e-4);
            const q = Math.max(share(seen, bin), 1e-4);
            expected += (q - p) * Math.log(q / p);
          }
          const got = (await drift(profile, traffic(seen))).overall.features[0]?.psi as number;
          assert.ok(Math.abs(got - expected) < 1e-9, `${got} != ${expected}`);
        }),
        { numRuns: 100 },
      );
    });

    it("is >= 0, and 0 for identical distributions (property)", () => {
      const shares = fc
        .array(fc.nat(100), { minLength: 1, maxLength: 12 })
        .filter((c) => c.some((x) => x > 0))
        .map((c) => c.map((x) => x / c.reduce((a, b) => a + b, 0)));
      fc.assert(
        fc.property(shares, shares, (p, q) => {
          const n = Math.min(p.length, q.length);
          assert.ok(psi(p.slice(0, n), q.slice(0, n)) >= 0);
          assert.equal(psi(p, p), 0);
        }),
      );
    });
  });

  describe("Kolmogorov-Smirnov D", () => {
    it("equals the brute force on hand-made samples", async () => {
      const cases: [number[], number[], number][] = [
        [[1, 2, 3, 4], [1, 2, 3, 4], 0],
        [[1, 2, 3, 4], [5, 6], 1],
        [[1, 2, 3, 4], [2.5, 2.5], 0.5],
        [[1, 1, 2, 2], [1, 2, 2, 2], 0.25],
        [[5.1, 4.9, 4.7, 4.6, 5], [5.4, 4.6, 5, 4.4, 4.9, 5.4], 1 / 3],
      ];
      for (const [train, seen, expected] of cases) {
        close(ksBruteForce(train, seen), expected, `brute ${train} / ${seen}`);
        const report = await drift(profileOf(train), traffic(seen));
        close(report.overall.features[2]?.ks as number, expected, `${train} / ${seen}`);
      }
    });

    it("is exact: equals the brute force over the union of points, ties included (property)", async () => {
      for (const values of [sample, doubles]) {
        await fc.assert(
          fc.asyncProperty(values, values, async (train, seen) => {
            const report = await drift(profileOf(train), traffic(seen));
            const expected = ksBruteForce(train, seen);
            for (const f of report.overall.features)
              assert.ok(Math.abs(f.ks - expected) < 1e-12, `${f.ks} != ${expected}`);
          }),
          { numRuns: 150 },
        );
      }
    });

    it("is in [0, 1], symmetric, and 0 for identical samples (property)", async () => {
      await fc.assert(
        fc.asyncProperty(sample, sample, async (a, b) => {
          const ab = (await drift(profileOf(a), traffic(b))).overall.features[0]?.ks as number;
          const ba = (await drift(profileOf(b), traffic(a))).overall.features[0]?.ks as number;
          const aa = (await drift(profileOf(a), traffic(a))).overall.features[0]?.ks as number;
          assert.ok(ab >= 0 && ab <= 1, `${ab}`);
          assert.ok(Math.abs(ab - ba) < 1e-12, `${ab} != ${ba}`);
          assert.equal(aa, 0);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe("verdicts", () => {
    const figure = fc.double({ min: 0, max: 3, noNaN: true });
    it("are monotone in every figure: a worse figure never gives a better verdict (property)", () => {
      const rank: Record<Verdict, number> = { ok: 0, warn: 1, drift: 2 };
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 1000 }),
          fc.array(figure, { minLength: 4, maxLength: 4 }),
          fc.array(figure, { minLength: 4, maxLength: 4 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.nat(3),
          fc.constantFrom("psi", "ksScaled", "notIrisShare"),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (rows, psis, kss, notIrisShare, at, which, more) => {
            const base = { rows, psi: psis, ksScaled: kss, notIrisShare };
            const worse = structuredClone(base);
            if (which === "notIrisShare") worse.notIrisShare += more;
            else (worse[which] as number[])[at] = (worse[which][at] as number) + more;
            const before = groupVerdict(base, DEFAULT_THRESHOLDS);
            const after = groupVerdict(worse, DEFAULT_THRESHOLDS);
            assert.ok(rank[after] >= rank[before], `${before} -> ${after}`);
          },
        ),
      );
    });

    it("at and over each threshold: warn, then drift (a figure at the threshold counts)", () => {
      const t = DEFAULT_THRESHOLDS;
      const at = (psi: number, ks: number, notIrisShare: number) =>
        groupVerdict({ rows: 1000, psi: [psi], ksScaled: [ks], notIrisShare }, t);
      assert.equal(at(0, 0, 0), "ok");
      assert.equal(at(t.psi.warn, 0, 0), "warn");
      assert.equal(at(t.psi.drift, 0, 0), "drift");
      assert.equal(at(0, t.ks.warn, 0), "warn");
      assert.equal(at(0, t.ks.drift, 0), "drift");
      assert.equal(at(0, 0, t.not_iris_share.warn), "warn");
      assert.equal(at(0, 0, t.not_iris_share.drift), "drift");
    });

    it("KS is judged against the critical value for the sample sizes", async () => {
      // 1000 traffic rows against 120 training ones: alpha = 0.01 rejects from D = 0.1574
      close(ksCritical(1.628, 1000, 120), 1.628 * Math.sqrt(1120 / 120000));
      const train = Array.from({ length: 100 }, (_, i) => i);
      // traffic shifted by k: D = k / 100 exactly
      // PSI left out (it would drift first): KS alone
      const thresholds = { ...DEFAULT_THRESHOLDS, psi: { warn: Infinity, drift: Infinity } };
      const verdictAt = async (k: number) => {
        const report = await computeDrift({
          modelVersion: "0123456789abcdef",
          profile: profileOf(train),
          records: train.flatMap((v) => Array.from({ length: 10 }, () => recordOf(v + k))),
          ...WINDOW,
          thresholds,
        });
        close(report.overall.features[0]?.ks as number, k / 100);
        return report.overall.features[0]?.verdict;
      };
      const critical = ksCritical(DEFAULT_THRESHOLDS.ks.warn, 1000, 100);
      assert.equal(await verdictAt(Math.floor(critical * 100)), "ok");
      assert.equal(await verdictAt(Math.ceil(critical * 100)), "warn");
      assert.equal(
        await verdictAt(Math.ceil(ksCritical(DEFAULT_THRESHOLDS.ks.drift, 1000, 100) * 100)),
        "drift",
      );
    });

    it("never claims ok on too few rows, nor on none", async () => {
      const profile = profileOf([1, 2, 3, 4]);
      const few = await drift(profile, traffic(Array.from({ length: 49 }, (_, i) => 1 + (i % 4))));
      assert.equal(few.overall.rows, 49);
      assert.equal(few.verdict, "warn");
      const enough = await drift(
        profile,
        traffic(Array.from({ length: 52 }, (_, i) => 1 + (i % 4))),
      );
      assert.equal(enough.verdict, "ok");
      const none = await drift(profile, []);
      assert.equal(none.overall.rows, 0);
      assert.equal(none.verdict, "warn");
      assert.deepEqual(none.by_day, {});
    });
  });

  describe("groups and window", () => {
    it("splits by model version and UTC day, keeps the window, counts not-Iris and the class mix", async () => {
      const profile = profileOf([1, 2, 3, 4]);
      async function* records(): AsyncIterable<CaptureRecord> {
        yield recordOf(1, { time: "2026-11-01T23:59:59.999Z", model_version: "aaaaaaaaaaaaaaaa" });
        yield recordOf(2, {
          time: "2026-11-02T00:00:00.000Z",
          model_version: "bbbbbbbbbbbbbbbb",
          is_iris: false,
          species: "b",
        });
        yield recordOf(3, { time: "2026-11-02T10:00:00.000Z", model_version: "aaaaaaaaaaaaaaaa" });
        yield recordOf(4, { time: "2026-10-31T23:59:59.999Z" }); // before the window
        yield recordOf(4, { time: "2026-11-08T00:00:00.001Z" }); // after it
      }
      const report = await drift(profile, records());
      assert.equal(report.overall.rows, 3);
      assert.deepEqual(Object.keys(report.by_model_version), [
        "aaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbb",
      ]);
      assert.equal(report.by_model_version.aaaaaaaaaaaaaaaa?.rows, 2);
      assert.deepEqual(Object.keys(report.by_day), ["2026-11-01", "2026-11-02"]);
      assert.equal(report.by_day["2026-11-02"]?.rows, 2);
      assert.equal(report.by_day["2026-11-02"]?.not_iris_share, 0.5);
      close(report.overall.not_iris_share, 1 / 3);
      assert.deepEqual(report.overall.class_mix, { a: 2 / 3, b: 1 / 3 });
      assert.equal(report.since, WINDOW.since.toISOString());
      assert.equal(report.training, profile);
    });

    it("holds counts only: 200,000 records stream through without being kept", async () => {
      const profile = profileOf([1, 2, 3, 4]);
      let made = 0;
      function* many(): Iterable<CaptureRecord> {
        for (; made < 200_000; made++) yield recordOf(1 + (made % 4));
      }
      const report = await drift(profile, many());
      assert.equal(made, 200_000);
      assert.equal(report.overall.rows, 200_000);
      assert.equal(report.verdict, "ok");
      // every share is a count over the rows: nothing about a row survives but its bin
      assert.deepEqual(
        report.overall.features[0]?.traffic_shares.length,
        profile.features.sepal_length.shares.length,
      );
    });
  });
});
