/** The training profile (monitoring/profile.ts), as training stores it in the manifest and loading checks it. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { packTarGz } from "../../core/archive.js";
import {
  ArtifactError,
  COMPILED_JSON,
  loadArtifact,
  MANIFEST,
  MODEL_JSON,
  sealArtifact,
} from "../../core/artifact.js";
import { FEATURES, type FeatureName } from "../../core/features.js";
import { binOf, decileEdges, profileTraining } from "../../monitoring/profile.js";
import { stratifiedSplit } from "../../training/split.js";
import { train } from "../../training/train.js";
import { readManifest, text } from "../helpers/archive.js";
import { irisData, REPO_ROOT, trainedModel } from "../helpers/trained.js";

/** The profile as JSON, open to edits a type would forbid (a string where a number goes). */
type Editable = {
  rows: number;
  features: Record<FeatureName, { edges: number[]; shares: number[]; sorted: unknown[] }>;
  class_mix: Record<string, number>;
};

describe("monitoring/profile.ts", () => {
  it("bins each feature at its training deciles: shares by counting, sorted values, class mix", () => {
    const rows = [[1], [2], [2], [3], [4], [5], [6], [7], [8], [9]].map((r) => [
      r[0],
      0,
      0,
      0,
    ]) as number[][];
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2];
    const profile = profileTraining(rows, labels, ["a", "b", "c"]);
    const f = profile.features.sepal_length;
    assert.deepEqual(f.sorted, [1, 2, 2, 3, 4, 5, 6, 7, 8, 9]);
    // deciles of 10 values, type 7: 1.9, 2, 2.7, 3.6, 4.5, 5.4, 6.3, 7.2, 8.1
    assert.equal(f.edges.length, 9);
    assert.ok(Math.abs((f.edges[0] as number) - 1.9) < 1e-12);
    assert.equal(f.edges[1], 2);
    // bins: <1.9 {1}, [1.9,2) {}, [2,2.7) {2,2}, then one value each
    assert.deepEqual(
      f.shares.map((s) => Math.round(s * 10)),
      [1, 0, 2, 1, 1, 1, 1, 1, 1, 1],
    );
    // a constant feature: no edge at all, one bin holding everything
    assert.deepEqual(profile.features.sepal_width.edges, []);
    assert.deepEqual(profile.features.sepal_width.shares, [1]);
    assert.deepEqual(profile.class_mix, { a: 0.5, b: 0.4, c: 0.1 });
    assert.equal(profile.rows, 10);
  });

  it("shares sum to 1 and match the bins of the values (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (values) => {
          const sorted = [...values].sort((a, b) => a - b);
          const edges = decileEdges(sorted);
          for (let i = 1; i < edges.length; i++)
            assert.ok((edges[i] as number) > (edges[i - 1] as number));
          const profile = profileTraining(
            values.map((v) => [v, v, v, v]),
            values.map(() => 0),
            ["x", "y"],
          );
          const { shares } = profile.features.petal_width;
          assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
          const counted = shares.map(() => 0);
          for (const v of values)
            counted[binOf(edges, v)] = (counted[binOf(edges, v)] as number) + 1;
          assert.deepEqual(
            shares,
            counted.map((c) => c / values.length),
          );
        },
      ),
    );
  });

  it("training stores the profile of the training part (not the held-out rows) in the manifest", async () => {
    const model = await trainedModel();
    const manifest = readManifest(model.files);
    const { rows, labels, classes } = irisData();
    const split = stratifiedSplit(labels, model.options.testFraction, model.options.seed);
    const expected = profileTraining(
      split.train.map((i) => rows[i] as number[]),
      split.train.map((i) => labels[i] as number),
      classes,
    );
    assert.deepEqual(manifest.training_profile, expected);
    assert.equal(expected.rows, 120);
    for (const name of FEATURES) assert.ok(expected.features[name].edges.length >= 5, name);
    assert.deepEqual(expected.class_mix, { setosa: 1 / 3, versicolor: 1 / 3, virginica: 1 / 3 });
    // the loaded artifact carries it, validated
    assert.deepEqual((await loadArtifact(model.tarball)).manifest.training_profile, expected);
  });

  it("keeps the artifact reproducible and small: same options, same bytes; the manifest under 16 KiB", async () => {
    const a = train(irisData(), { ...(await trainedModel()).options });
    const b = train(irisData(), { ...(await trainedModel()).options });
    assert.ok(
      Buffer.from(a.files.get(MANIFEST) as Uint8Array).equals(b.files.get(MANIFEST) as Uint8Array),
    );
    const bytes = (a.files.get(MANIFEST) as Uint8Array).length;
    assert.ok(bytes < 16 * 1024, `${bytes} bytes`);
  });

  it("an older artifact without a profile still loads (format 1 fixture)", async () => {
    const artifact = await loadArtifact(`${REPO_ROOT}/tests/fixtures/model-format-1/model.tar.gz`);
    assert.equal(artifact.manifest.training_profile, undefined);
  });

  describe("a tampered profile, resealed (model_version recomputed): refused saying what is wrong", () => {
    const tampers: [string, (p: Editable) => void, RegExp][] = [
      [
        "shares that do not sum to 1",
        (p) => {
          p.features.sepal_length.shares[0] = 0;
        },
        /training_profile\.features\.sepal_length.*shares must sum to 1/,
      ],
      [
        "edges out of order",
        (p) => {
          p.features.petal_length.edges.reverse();
        },
        /training_profile\.features\.petal_length\.edges.*strictly ascending/,
      ],
      [
        "sorted values out of order",
        (p) => {
          p.features.sepal_width.sorted.reverse();
        },
        /sepal_width\.sorted.*sorted must be ascending/,
      ],
      [
        "a share too many",
        (p) => {
          p.features.petal_width.shares.push(0);
        },
        /one value more than edges/,
      ],
      [
        "fewer sorted values than rows",
        (p) => {
          p.rows += 1;
        },
        /must number `rows`/,
      ],
      [
        "a feature missing",
        (p) => {
          p.features = { ...p.features, petal_width: undefined as never };
        },
        /training_profile\.features\.petal_width/,
      ],
      [
        "a negative share",
        (p) => {
          p.class_mix.setosa = -0.1;
        },
        /training_profile\.class_mix\.setosa/,
      ],
      [
        "a class the model does not have",
        (p) => {
          p.class_mix = { rose: 1 };
        },
        /class_mix: it names rose/,
      ],
      [
        "not a number",
        (p) => {
          p.features.sepal_length.sorted[3] = "5.1";
        },
        /sepal_length\.sorted\.3/,
      ],
    ];
    for (const [what, tamper, message] of tampers) {
      it(what, async () => {
        const model = await trainedModel();
        const { format: _f, model_version: _v, files: _files, ...body } = readManifest(model.files);
        const profile = structuredClone(body.training_profile) as Editable;
        tamper(profile);
        const files = sealArtifact(
          { ...body, training_profile: profile as never },
          {
            [MODEL_JSON]: text(model.files.get(MODEL_JSON)),
            [COMPILED_JSON]: text(model.files.get(COMPILED_JSON)),
          },
        );
        await assert.rejects(loadArtifact(await packTarGz(files)), (error: Error) => {
          assert.ok(error instanceof ArtifactError, String(error));
          assert.match(error.message, /^manifest\.json is malformed at training_profile/);
          assert.match(error.message, message);
          return true;
        });
      });
    }
  });
});
