/**
 * `iris-mlops models list | show | diff` as a process against a real S3-protocol server (s3rver
 * on 127.0.0.1): a registry of three versions uploaded one after another, a bucket mixing usable,
 * broken and foreign objects, an empty bucket, a missing bucket and a server that is down.
 */
import assert from "node:assert/strict";
import { packTarGz } from "../../core/archive.js";
import { MANIFEST, type Manifest } from "../../core/artifact.js";
import { manifestKeyFor, modelKeyFor } from "../../core/registry.js";
import { loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../../training/options.js";
import { train } from "../../training/train.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { FakeS3 } from "../helpers/s3.js";

interface Model {
  readonly version: string;
  readonly manifest: Manifest;
  readonly tarball: Uint8Array;
  readonly manifestBytes: Uint8Array;
  readonly files: Map<string, Uint8Array>;
}

async function model(seed: number, trees: number): Promise<Model> {
  const options = { ...DEFAULT_TRAIN_OPTIONS, trees, folds: 2, seed };
  const { files, manifest } = train(loadIris(), options);
  return {
    version: manifest.model_version,
    manifest,
    tarball: await packTarGz(files),
    manifestBytes: files.get(MANIFEST) as Uint8Array,
    files: new Map(files),
  };
}

/** The model's files with manifest.json replaced (not resealed), packed. */
const withManifest = (m: Model, text: string) =>
  packTarGz(new Map([...m.files, [MANIFEST, new TextEncoder().encode(text)]]));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const json = (r: CliResult) => JSON.parse(r.stdout);

describe("cli: iris-mlops models (against s3rver)", function () {
  this.timeout(180_000);
  let s3: FakeS3;
  let models: Model[];
  const cli = (...args: string[]) => runCli(["models", ...args], { env: s3.env() });

  async function upload(bucket: string, m: Model, manifest = true) {
    await s3.put(bucket, modelKeyFor(m.version), m.tarball);
    if (manifest) await s3.put(bucket, manifestKeyFor(m.version), m.manifestBytes);
  }

  before(async () => {
    s3 = await FakeS3.start();
    models = [await model(1, 5), await model(2, 8), await model(3, 12)];
    await s3.createBucket("registry");
    for (const m of models) {
      await upload("registry", m);
      await sleep(1100); // S3's LastModified has whole seconds
    }
    await s3.put("registry", "notes.txt", new TextEncoder().encode("not a model"));
    await s3.createBucket("empty");
    await s3.put("empty", "notes.txt", new TextEncoder().encode("not a model"));
  });
  after(() => s3.stop());

  describe("a registry of three versions", () => {
    it("lists them newest first, with trees, seed, accuracy, cross-validation and size", async () => {
      const r = await cli("list", "--bucket", "registry");
      assert.equal(r.code, 0, r.stderr);
      const [header, ...rows] = r.lines;
      assert.match(
        header as string,
        /^version\s+created \(UTC\)\s+trees\s+seed\s+accuracy\s+cross-validation\s+size$/,
      );
      const newestFirst = [...models].reverse();
      assert.deepEqual(
        rows.map((line) => line.split(/\s+/)[0]),
        newestFirst.map((m) => m.version),
      );
      for (const [i, m] of newestFirst.entries()) {
        const cv = m.manifest.metrics.cross_validation as { accuracy_mean: number };
        const cells = (rows[i] as string).split(/\s{2,}/);
        assert.equal(cells[2], String(m.manifest.hyperparameters.trees));
        assert.equal(cells[3], String(m.manifest.hyperparameters.seed));
        assert.equal(cells[4], `${(100 * m.manifest.metrics.accuracy).toFixed(1)}%`);
        assert.ok(cells[5]?.startsWith(`${(100 * cv.accuracy_mean).toFixed(1)}% ± `), cells[5]);
        assert.equal(cells[6], `${(m.tarball.length / 1024).toFixed(1)} KiB`);
      }
      assert.doesNotMatch(r.stderr, /notes\.txt/, "objects outside models/ are not the registry's");
    });

    it("gives machines the same as JSON", async () => {
      const r = await cli("list", "--bucket", "registry", "--json");
      assert.equal(r.code, 0, r.stderr);
      const rows = json(r) as Record<string, unknown>[];
      assert.deepEqual(
        rows.map((row) => row.version),
        [...models].reverse().map((m) => m.version),
      );
      const [newest] = rows;
      const m = models[2] as Model;
      const cv = m.manifest.metrics.cross_validation as Record<string, number>;
      assert.deepEqual(
        { ...newest, created: undefined, sha256: undefined },
        {
          version: m.version,
          created: undefined,
          bytes: m.tarball.length,
          trees: 12,
          seed: 3,
          accuracy: m.manifest.metrics.accuracy,
          cross_validation: { mean: cv.accuracy_mean, std: cv.accuracy_std, folds: 2 },
          sha256: undefined,
        },
      );
      assert.ok(Date.parse(newest?.created as string) > Date.parse(rows[2]?.created as string));
    });

    it("shows one version: its location, sha256 and every parameter and metric", async () => {
      const m = models[0] as Model;
      const r = await cli("show", m.version, "--bucket", "registry", "--json");
      assert.equal(r.code, 0, r.stderr);
      const shown = json(r);
      assert.equal(shown.uri, `s3://registry/${modelKeyFor(m.version)}`);
      assert.deepEqual(shown.manifest, JSON.parse(new TextDecoder().decode(m.manifestBytes)));
      assert.match(shown.sha256, /^[0-9a-f]{64}$/);
      const table = await cli("show", m.version, "--bucket", "registry");
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^model ${m.version}  s3://registry/models/`));
      assert.match(table.stdout, /\nhyperparameters\.trees\s+5\n/);
      assert.match(table.stdout, /\nmetrics\.cross_validation\.folds\s+2\n/);
    });

    it("diffs two versions' parameters and metrics side by side, marking what differs", async () => {
      const [a, b] = models as [Model, Model];
      const r = await cli("diff", a.version, b.version, "--bucket", "registry", "--json");
      assert.equal(r.code, 0, r.stderr);
      const fields = new Map(
        (json(r).fields as { field: string; a: unknown; b: unknown; differs: boolean }[]).map(
          (f) => [f.field, f],
        ),
      );
      assert.deepEqual(fields.get("hyperparameters.seed"), {
        field: "hyperparameters.seed",
        a: 1,
        b: 2,
        differs: true,
      });
      assert.equal(fields.get("hyperparameters.trees")?.differs, true);
      assert.equal(fields.get("hyperparameters.folds")?.differs, false);
      assert.equal(fields.get("metrics.accuracy")?.a, a.manifest.metrics.accuracy);
      const table = await cli("diff", a.version, b.version, "--bucket", "registry");
      assert.match(table.stdout, /^\* hyperparameters\.seed\s+1\s+2$/m);
      assert.match(table.stdout, /^ {2}hyperparameters\.folds\s+2\s+2$/m);
      assert.match(table.stdout, /\d+ of \d+ fields differ \(marked \*\)\n$/);
    });

    it("refuses an unknown or malformed version (exit 2), naming the versions there", async () => {
      const r = await cli("show", "0123456789abcdef", "--bucket", "registry");
      assert.equal(r.code, 2);
      const there = [...models].reverse().map((m) => m.version); // newest first, as listed
      assert.match(
        r.stderr,
        new RegExp(
          `model version 0123456789abcdef is not in the registry s3://registry/models/; it holds ${there.join(", ")} `,
        ),
      );
      const bad = await cli(
        "diff",
        "models/x",
        (models[0] as Model).version,
        "--bucket",
        "registry",
      );
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /"models\/x" is not a model version: 16 hex digits/);
      const noBucket = await cli("list");
      assert.equal(noBucket.code, 2);
      assert.match(noBucket.stderr, /--bucket is required/);
    });
  });

  describe("a bucket mixing usable, broken and foreign objects", () => {
    const broken: Record<string, Model> = {};
    before(async () => {
      await s3.createBucket("mixed");
      const [good, other] = models as [Model, Model];
      await upload("mixed", good);
      const extra = [await model(4, 3), await model(5, 3), await model(6, 3), await model(7, 3)];
      const [edited, notJson, sidecar, incomplete] = extra as [Model, Model, Model, Model];
      Object.assign(broken, { edited, notJson, sidecar, incomplete, garbage: extra[0] });
      const text = new TextDecoder().decode(edited.manifestBytes);
      await s3.put(
        "mixed",
        modelKeyFor(edited.version),
        await withManifest(edited, text.replace(/"trees":3/, '"trees":300')),
      );
      await s3.put("mixed", modelKeyFor(notJson.version), await withManifest(notJson, "{not json"));
      await s3.put("mixed", modelKeyFor(sidecar.version), sidecar.tarball);
      await s3.put("mixed", manifestKeyFor(sidecar.version), new TextEncoder().encode("{}"));
      await s3.put("mixed", manifestKeyFor(incomplete.version), incomplete.manifestBytes);
      await s3.put("mixed", modelKeyFor("0000000000000000"), new TextEncoder().encode("garbage"));
      await s3.put("mixed", modelKeyFor("1111111111111111"), other.tarball);
      await s3.put("mixed", "models/README.md", new TextEncoder().encode("# models"));
      await s3.put("mixed", "notes.txt", new TextEncoder().encode("not a model"));
    });

    it("lists every version, says why each broken one cannot be used, and exits 1", async () => {
      const r = await cli("list", "--bucket", "mixed", "--json");
      assert.equal(r.code, 1, r.stderr);
      const errors = new Map(
        (json(r) as { version: string; error?: string }[]).map((row) => [row.version, row.error]),
      );
      const uri = (v: string) => `s3://mixed/models/${v}`;
      assert.equal(errors.get((models[0] as Model).version), undefined, "the good one is usable");
      assert.match(
        errors.get(broken.edited?.version as string) ?? "",
        new RegExp(`^${uri(broken.edited?.version as string)}/model\\.tar\\.gz: manifest\\.json `),
      );
      assert.match(
        errors.get(broken.notJson?.version as string) ?? "",
        /manifest\.json is not valid JSON/,
      );
      assert.match(
        errors.get(broken.sidecar?.version as string) ?? "",
        /manifest\.json differs from the manifest\.json inside .*model\.tar\.gz/,
      );
      assert.match(
        errors.get(broken.incomplete?.version as string) ?? "",
        /has no .*model\.tar\.gz beside it: the upload is incomplete/,
      );
      assert.match(
        errors.get("0000000000000000") ?? "",
        /the model is not a \.tar\.gz \(no gzip header\)/,
      );
      assert.match(
        errors.get("1111111111111111") ?? "",
        new RegExp(
          `holds model ${(models[1] as Model).version}, not 1111111111111111: it was put under the wrong version`,
        ),
      );
      assert.equal(errors.size, 7);
      assert.match(r.stderr, /ignored 1 object\(s\) under models\/ .*: models\/README\.md\n/);
      assert.doesNotMatch(r.stderr, /notes\.txt/);
    });

    it("shows the reason in the table too, and refuses to show a broken version (exit 1)", async () => {
      const table = await cli("list", "--bucket", "mixed");
      assert.equal(table.code, 1);
      assert.match(
        table.stdout,
        /^0000000000000000 .* unusable: s3:\/\/mixed\/.*no gzip header\)$/m,
      );
      const r = await cli("show", "0000000000000000", "--bucket", "mixed");
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /iris-mlops: s3:\/\/mixed\/models\/0000000000000000\/model\.tar\.gz: the model is not a \.tar\.gz/,
      );
    });
  });

  describe("an empty registry, a missing bucket, a server that is down", () => {
    it("lists nothing from a bucket without models (exit 0) and cannot show from it (exit 2)", async () => {
      const r = await cli("list", "--bucket", "empty", "--json");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(r), []);
      assert.match(r.stderr, /s3:\/\/empty\/models\/ holds no model yet/);
      const show = await cli("show", "0123456789abcdef", "--bucket", "empty");
      assert.equal(show.code, 2);
      assert.match(
        show.stderr,
        /model version 0123456789abcdef is not in the registry: s3:\/\/empty\/models\/ holds no model yet/,
      );
    });

    it("says a bucket does not exist (exit 2)", async () => {
      const r = await cli("list", "--bucket", "no-such-bucket");
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /s3:\/\/no-such-bucket\/models\/ could not be fetched \(HTTP 404 NoSuchBucket/,
      );
      const bad = await cli("list", "--bucket", "Not_A_Bucket");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /the model bucket "Not_A_Bucket" is not an S3 bucket name/);
    });

    it("gives up on an unreachable server after the S3 budget's attempts (exit 2)", async () => {
      const down = await FakeS3.start();
      const env = down.env();
      await down.stop();
      const r = await runCli(["models", "list", "--bucket", "registry"], { env });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /s3:\/\/registry\/models\/ could not be fetched after 3 attempts in [\d.]+ s/,
      );
      assert.equal((r.stderr.match(/"outcome":"retry"/g) ?? []).length, 2, "two retries logged");
    });
  });
});
