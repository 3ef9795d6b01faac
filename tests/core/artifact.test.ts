/** The model artifact: reproducible tarball, manifest, every way of loading it, every way it is refused. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { RandomForestClassifier } from "ml-random-forest";
import { type Files, MODEL_CAPS, packTarGz } from "../../core/archive.js";
import {
  ArtifactError,
  COMPILED_JSON,
  canonicalJson,
  loadArtifact,
  MANIFEST,
  type Manifest,
  MODEL_JSON,
  sha256,
  TARBALL,
} from "../../core/artifact.js";
import { FEATURES } from "../../core/features.js";
import { loadPredictor } from "../../core/predictor.js";
import { train } from "../../training/train.js";
import {
  filesTarGz,
  makeTarGz,
  readManifest,
  resealWithCompiled,
  tarEntries,
  text,
} from "../helpers/archive.js";
import {
  featureMaxima,
  irisData,
  type TrainedModel,
  tempDir,
  trainedModel,
  unpackedFolder,
} from "../helpers/trained.js";

/** Assert that loading `source` is refused with an ArtifactError whose message matches every pattern. */
async function refused(source: string | Uint8Array, ...patterns: RegExp[]): Promise<ArtifactError> {
  let caught: unknown;
  try {
    await loadArtifact(source);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArtifactError, `expected an ArtifactError, got ${String(caught)}`);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  // the predictor refuses it the same way
  await assert.rejects(loadPredictor(source), ArtifactError);
  return caught;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Write bytes to a new file in a new folder; returns its path. */
async function fileWith(bytes: Uint8Array, name = TARBALL): Promise<string> {
  const path = join(tempDir("iris-artifact-"), name);
  await writeFile(path, bytes);
  return path;
}

const withFiles = (files: Files, changes: Record<string, Uint8Array | undefined>): Files => {
  const out = new Map(files);
  for (const [name, bytes] of Object.entries(changes)) {
    if (bytes === undefined) out.delete(name);
    else out.set(name, bytes);
  }
  return out;
};

describe("artifact: reproducible", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  it("the same options give a byte-identical model.tar.gz (same sha256)", async () => {
    const again = train(irisData(), { ...model.options });
    const bytes = await packTarGz(again.files);
    assert.ok(bytes.equals(model.tarball), "tarballs differ");
    assert.equal(sha256(bytes), sha256(model.tarball));
    assert.equal(again.manifest.model_version, model.result.manifest.model_version);
    // and what writeArtifact put on disk is those bytes
    assert.ok((await readFile(model.tarballPath)).equals(model.tarball));
  });

  it("a different seed, or different hyper-parameters, give a different model_version", async () => {
    const versions = new Set(
      await Promise.all(
        [{}, { seed: 7 }, { seed: 1 }, { trees: 7, maxDepth: 2 }].map(
          async (options) => (await trainedModel(options)).predictor.modelVersion,
        ),
      ),
    );
    assert.equal(versions.size, 4);
    const seven = await trainedModel({ seed: 7 });
    assert.notEqual(sha256(seven.tarball), sha256(model.tarball));
  });

  it("holds exactly compiled.json, manifest.json and model.json at the root, with time 0 and owner 0:0", async () => {
    const entries = await tarEntries(model.tarball);
    assert.deepEqual(
      entries.map((e) => e.header.name),
      [COMPILED_JSON, MANIFEST, MODEL_JSON],
    );
    for (const { header, body } of entries) {
      assert.equal(header.type, "file");
      assert.equal(header.mtime?.getTime(), 0, `${header.name} mtime`);
      assert.equal(header.uid, 0);
      assert.equal(header.gid, 0);
      assert.equal(header.uname, "");
      assert.equal(header.gname, "");
      assert.equal(header.mode, 0o644);
      assert.equal(header.size, body.length);
      assert.ok(body.equals(Buffer.from(model.files.get(header.name) as Uint8Array)));
    }
    // gzip's own header: no modification time (bytes 4-7)
    assert.deepEqual([...model.tarball.subarray(0, 2)], [0x1f, 0x8b]);
    assert.equal(model.tarball.readUInt32LE(4), 0);
  });
});

describe("artifact: contents", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  it("model.json loads with RandomForestClassifier.load and predicts like the compiled core", () => {
    const library = RandomForestClassifier.load(JSON.parse(text(model.files.get(MODEL_JSON))));
    const maxima = featureMaxima();
    const random = fc.sample(
      fc.tuple(...maxima.map((max) => fc.double({ min: 0, max: 1.5 * max, noNaN: true }))),
      { numRuns: 2_000, seed: 1 },
    );
    const rows = [...irisData().rows, ...random];
    const expected = library.predict(rows);
    rows.forEach((row, i) => {
      assert.equal(model.predictor.classify(row), expected[i], `row [${row}]`);
    });
  });

  it("the manifest describes the model: format, features with units and ranges, classes, hyper-parameters, metrics, libraries, files", async () => {
    const manifest = readManifest(model.files);
    assert.equal(manifest.format, "iris-mlops.model/2");
    assert.match(manifest.model_version, /^[0-9a-f]{16}$/);
    assert.deepEqual(
      manifest.features.map((f) => [f.name, f.unit]),
      FEATURES.map((name) => [name, "cm"]),
    );
    const { rows } = irisData();
    manifest.features.forEach((f, k) => {
      const values = rows.map((row) => row[k] as number);
      assert.ok(f.min <= f.max);
      assert.ok(f.min >= Math.min(...values) && f.max <= Math.max(...values), `${f.name} range`);
    });
    assert.deepEqual(manifest.classes, ["setosa", "versicolor", "virginica"]);
    assert.deepEqual(manifest.hyperparameters, { ...model.options });
    assert.equal(manifest.metrics.accuracy, model.result.test.accuracy);
    assert.ok(manifest.metrics.accuracy >= 0.9 && manifest.metrics.accuracy <= 1);
    const require = createRequire(__filename);
    assert.equal(
      manifest.libraries["ml-random-forest"],
      (require("ml-random-forest/package.json") as { version: string }).version,
    );
    assert.deepEqual(Object.keys(manifest.files).sort(), [COMPILED_JSON, MODEL_JSON]);
    for (const [name, entry] of Object.entries(manifest.files)) {
      const bytes = model.files.get(name) as Uint8Array;
      assert.equal(entry.sha256, sha256(bytes), name);
      assert.equal(entry.bytes, bytes.length, name);
    }
    // the version is the hash of everything else in the manifest
    const { model_version, ...body } = manifest;
    assert.equal(sha256(canonicalJson(body)).slice(0, 16), model_version);
    // the copy written beside the tarball is the same manifest
    assert.deepEqual(
      await readFile(join(model.dir, MANIFEST)),
      Buffer.from(model.files.get(MANIFEST) as Uint8Array),
    );
  });

  it("compiled.json is small: under 4 KB gzipped", async () => {
    const compiled = model.files.get(COMPILED_JSON) as Uint8Array;
    assert.ok(gzipSync(compiled, { level: 9 }).length <= 4096);
  });
});

describe("artifact: loading", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  const sameModel = async (source: string | Uint8Array) => {
    const predictor = await loadPredictor(source);
    assert.equal(predictor.modelVersion, model.predictor.modelVersion);
    for (const row of irisData().rows)
      assert.deepEqual(predictor.predict(row), model.predictor.predict(row));
  };

  it("from the training output folder (holding model.tar.gz)", () => sameModel(model.dir));
  it("from the .tar.gz path", () => sameModel(model.tarballPath));
  it("from the tarball's bytes, as a Buffer and as a plain Uint8Array", async () => {
    await sameModel(model.tarball);
    await sameModel(new Uint8Array(model.tarball));
  });
  it("from an unpacked folder, as SageMaker lays out /opt/ml/model", async () => {
    await sameModel(await unpackedFolder(model.files));
  });
  it("from an unpacked folder holding other files too", async () => {
    const dir = await unpackedFolder(model.files);
    await writeFile(join(dir, "README.txt"), "not part of the model");
    await mkdir(join(dir, "code"));
    await sameModel(dir);
  });
  it("from a tarball made by tar -C dir -czf x . (entries named ./…)", async () => {
    const dir = await unpackedFolder(model.files);
    const out = join(tempDir("iris-systar-"), TARBALL);
    execFileSync("tar", ["-C", dir, "-czf", out, "."]);
    const names = (await tarEntries(await readFile(out))).map((e) => e.header.name).sort();
    assert.ok(names.includes("./manifest.json"), String(names));
    await sameModel(out);
  });
  it("from a tarball with its files in another order", async () => {
    const reversed = new Map([...model.files].reverse());
    await sameModel(await filesTarGz(reversed));
  });
});

describe("artifact: refused, with an ArtifactError naming the file", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  it("an unpacked folder over the cap, before any of its files is read", async () => {
    const dir = join(tmpdir(), `artifact-cap-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      // three sparse files just under the per-file cap, together over the folder's cap
      const names = ["a.json", "b.json", "c.json"];
      const size = MODEL_CAPS.entryBytes - 1;
      for (const name of names) {
        await writeFile(join(dir, name), "");
        await truncate(join(dir, name), size);
      }
      const listed = Object.fromEntries(names.map((n) => [n, { sha256: "0".repeat(64) }]));
      await writeFile(join(dir, MANIFEST), JSON.stringify({ files: listed }));
      const before = process.memoryUsage().arrayBuffers;
      await assert.rejects(loadArtifact(dir), /holds more than 64 MiB of model files/);
      const grown = process.memoryUsage().arrayBuffers - before;
      assert.ok(grown < MODEL_CAPS.entryBytes / 2, `read ${grown} bytes before refusing`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a truncated tarball, from bytes and from a path", async () => {
    for (const keep of [1, 2, 10, 100, 1000, model.tarball.length - 8, model.tarball.length - 1]) {
      const cut = model.tarball.subarray(0, keep);
      await refused(cut, /model archive|\.tar\.gz/, /truncated|corrupt|not a/);
      const path = await fileWith(cut);
      await refused(path, new RegExp(escapeRegExp(path)));
    }
  });

  for (const name of [MODEL_JSON, COMPILED_JSON]) {
    it(`a byte flipped anywhere in ${name} (property)`, async () => {
      const original = model.files.get(name) as Uint8Array;
      await fc.assert(
        fc.asyncProperty(
          fc.nat(original.length - 1),
          fc.integer({ min: 1, max: 255 }),
          async (at, mask) => {
            const tampered = Uint8Array.from(original);
            tampered[at] = (tampered[at] as number) ^ mask;
            const bytes = await packTarGz(withFiles(model.files, { [name]: tampered }));
            await refused(bytes, new RegExp(`^${escapeRegExp(name)} is corrupt or tampered with`));
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it("a byte flipped anywhere in manifest.json (property)", async () => {
    const original = model.files.get(MANIFEST) as Uint8Array;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(original.length - 1),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          const tampered = Uint8Array.from(original);
          tampered[at] = (tampered[at] as number) ^ mask;
          const bytes = await packTarGz(withFiles(model.files, { [MANIFEST]: tampered }));
          // every byte counts, the trailing newline and the digits past a double's precision too
          await refused(bytes, new RegExp(`^${escapeRegExp(MANIFEST)} `));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the same manifest spelled differently, even with its model_version right: refused, saying to retrain", async () => {
    const original = text(model.files.get(MANIFEST));
    const parsed = JSON.parse(original);
    // a digit past a double's precision: 0.9333333333333333 and …334 read as the same number,
    // which is how a byte flip in the metrics used to load (seed 1218803330)
    const samePrecision = original.replace(
      /(\d\.\d{15,})(\d)/,
      (_m, head: string, last: string) => {
        for (let d = 0; d <= 9; d++) {
          const other = `${head}${d}`;
          if (d !== Number(last) && Number(other) === Number(`${head}${last}`)) return other;
        }
        return `${head}${last}0`;
      },
    );
    assert.notEqual(samePrecision, original);
    const spellings: [string, string][] = [
      ["a digit past a double's precision", samePrecision],
      ["a trailing zero on a number", original.replace(/"accuracy":1\b/, '"accuracy":1.0')],
      ["pretty-printed", `${JSON.stringify(parsed, null, 2)}\n`],
      ["without its trailing newline", original.trimEnd()],
      ["with CRLF", original.replace(/\n$/, "\r\n")],
      ["a letter escaped", original.replace('"setosa"', '"\\u0073etosa"')],
      ["a duplicated key", original.replace(/^\{/, '{"format":"x",')],
      [
        "keys out of order",
        `${JSON.stringify({ model_version: parsed.model_version, ...parsed })}\n`,
      ],
    ];
    for (const [what, spelling] of spellings) {
      assert.notEqual(spelling, original, what);
      assert.deepEqual(JSON.parse(spelling), parsed, `${what}: the same JSON`);
      const bytes = await packTarGz(
        withFiles(model.files, { [MANIFEST]: new TextEncoder().encode(spelling) }),
      );
      await refused(bytes, /^manifest\.json is not in the canonical form train writes/, /retrain/);
    }
  });

  it("a key added where the schema would drop it, model_version unchanged: refused", async () => {
    const adders: ((m: Manifest) => void)[] = [
      (m) => {
        (m.files[COMPILED_JSON] as Record<string, unknown>).note = "x";
      },
      (m) => {
        (m.features[0] as Record<string, unknown>).scale = 10;
      },
    ];
    for (const add of adders) {
      const manifest = JSON.parse(text(model.files.get(MANIFEST))) as Manifest;
      add(manifest);
      const bytes = await packTarGz(
        withFiles(model.files, {
          [MANIFEST]: new TextEncoder().encode(`${canonicalJson(manifest)}\n`),
        }),
      );
      await refused(bytes, /^manifest\.json does not match its model_version/);
    }
  });

  it("a manifest edited without updating model_version", async () => {
    const edits: ((m: Record<string, unknown>) => void)[] = [
      (m) => {
        (m.metrics as { accuracy: number }).accuracy = 0.5;
      },
      (m) => {
        m.classes = ["virginica", "versicolor", "setosa"];
      },
      (m) => {
        (m.hyperparameters as { trees: number }).trees = 51;
      },
      (m) => {
        m.note = "hello";
      },
    ];
    for (const edit of edits) {
      const manifest = JSON.parse(text(model.files.get(MANIFEST)));
      edit(manifest);
      const bytes = await packTarGz(
        withFiles(model.files, { [MANIFEST]: new TextEncoder().encode(JSON.stringify(manifest)) }),
      );
      await refused(
        bytes,
        /^manifest\.json does not match its model_version [0-9a-f]{16}: it was edited/,
      );
    }
  });

  for (const name of [MODEL_JSON, COMPILED_JSON, MANIFEST]) {
    it(`a missing ${name}, in a tarball and in an unpacked folder`, async () => {
      const pattern = new RegExp(`^${escapeRegExp(name)} is missing`);
      await refused(await packTarGz(withFiles(model.files, { [name]: undefined })), pattern);
      const dir = await unpackedFolder(model.files);
      await rm(join(dir, name));
      await refused(
        dir,
        name === MANIFEST ? /holds no model\.tar\.gz and no manifest\.json/ : pattern,
      );
    });
  }

  it("random bytes, gzip-looking or not (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }),
          fc.uint8Array({ maxLength: 2_000 }).map((b) => Uint8Array.from([0x1f, 0x8b, ...b])),
          fc.uint8Array({ maxLength: 2_000 }).map((b) => new Uint8Array(gzipSync(b))),
        ),
        async (bytes) => {
          await refused(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a file that is not gzip: a plain tar, JSON, an empty file", async () => {
    for (const bytes of [
      gunzipSync(model.tarball),
      model.files.get(MANIFEST) as Uint8Array,
      new Uint8Array(0),
    ]) {
      const path = await fileWith(bytes);
      await refused(path, new RegExp(escapeRegExp(path)), /not a \.tar\.gz/);
    }
  });

  it("an archive with a folder or a link in it, naming the entry", async () => {
    const base = [...model.files].map(([name, body]) => ({
      header: { name, type: "file" as const },
      body,
    }));
    await refused(
      await makeTarGz([...base, { header: { name: "model/x.json", type: "file" }, body: "{}" }]),
      /"model\/x\.json" is not a file at the root/,
    );
    await refused(
      await makeTarGz([{ header: { name: "model", type: "directory" } }, ...base]),
      /"model" is not a file at the root/,
    );
    await refused(
      await makeTarGz([
        ...base,
        { header: { name: "evil", type: "symlink", linkname: "/etc/passwd" } },
      ]),
      /"evil" is not a file at the root/,
    );
  });

  it("a path that does not exist, and a folder with no model in it", async () => {
    const missing = join(tempDir(), "nowhere", TARBALL);
    await refused(missing, new RegExp(`cannot read the model at ${escapeRegExp(missing)}`));
    const empty = tempDir("iris-empty-");
    await refused(
      empty,
      new RegExp(`${escapeRegExp(empty)} holds no model\\.tar\\.gz and no manifest\\.json`),
    );
  });

  it("a compiled.json resealed with a consistent manifest but a broken forest", async () => {
    const cases: [string, (c: { forest: Record<string, number | number[]> }) => void][] = [
      [
        "a last tree cut short",
        (c) => {
          (c.forest.feature as number[]).pop();
        },
      ],
      [
        "a threshold too many",
        (c) => {
          (c.forest.threshold as number[]).push(1);
        },
      ],
      [
        "a feature out of range",
        (c) => {
          (c.forest.feature as number[])[0] = 9;
        },
      ],
      [
        "no trees",
        (c) => {
          c.forest.feature = [];
          c.forest.threshold = [];
        },
      ],
    ];
    for (const [what, edit] of cases) {
      const files = resealWithCompiled(model.files, edit);
      const error = await refused(
        await packTarGz(files),
        /^compiled\.json holds a malformed forest: /,
      );
      assert.ok(error.message.length > 40, `${what}: ${error.message}`);
    }
  });

  it("a compiled.json resealed with a novelty model that does not fit the classes", async () => {
    for (const edit of [
      (c: { novelty: Record<string, unknown> }) => {
        (c.novelty.precisions as unknown[]).pop();
      },
      (c: { novelty: Record<string, unknown> }) => {
        (c.novelty.means as unknown[]).pop();
        (c.novelty.precisions as unknown[]).pop();
      },
    ]) {
      const files = resealWithCompiled(model.files, edit);
      await refused(
        await packTarGz(files),
        /^compiled\.json has a novelty model with/,
        /names 3 classes/,
      );
    }
  });

  it("a resealed compiled.json that is still well-formed loads (the seal is a checksum, not a signature)", async () => {
    const files = resealWithCompiled(model.files, (c) => {
      (c.forest.threshold as number[])[0] = 2.5;
    });
    const predictor = await loadPredictor(await packTarGz(files));
    assert.notEqual(predictor.modelVersion, model.predictor.modelVersion);
  });

  it("refuses a model folder whose file is a device or a FIFO (size 0, never ending), unread", async () => {
    const dir = join(tmpdir(), `iris-devzero-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      await symlink("/dev/zero", join(dir, "manifest.json"));
      await assert.rejects(loadArtifact(dir), /manifest\.json is not a regular file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("artifact messages in a process of their own", () => {
  // zod/mini has no locale of its own: its messages read "Invalid input" unless full zod is
  // loaded in the same process, as it is in this test runner but not in the CLI or the container
  it("say what the manifest's field should be, with no full zod loaded", () => {
    const program = `
      const { verifyArtifact } = require(${JSON.stringify(join(process.cwd(), "core/artifact.ts"))});
      const files = new Map([["manifest.json", Buffer.from(JSON.stringify({ format: "x", files: {} }))]]);
      try { verifyArtifact(files); } catch (err) { console.log(err.message); }`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", program], {
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    assert.match(
      out,
      /manifest\.json is malformed at format: Invalid option: expected one of "iris-mlops\.model\/2"\|"iris-mlops\.model\/1"/,
    );
  });
});
