/**
 * Fuzzing the artifact loader (core/archive.ts, core/artifact.ts, core/predictor.ts): a real
 * model.tar.gz with its bytes damaged, cut short, re-gzipped with damaged tar bytes, or re-made
 * with edited manifests and model files, or resealed with parts that disagree (what only the
 * content checks catch). A model is either loaded and predicts, or refused with an
 * ArtifactError, within the per-call budgets.
 */
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import type * as tar from "tar-stream";
import { type Files, packTarGz } from "../../core/archive.js";
import {
  ArtifactError,
  COMPILED_JSON,
  MANIFEST,
  MODEL_JSON,
  sealArtifact,
} from "../../core/artifact.js";
import { loadPredictor } from "../../core/predictor.js";
import {
  type EditableCompiled,
  makeTarGz,
  readManifest,
  resealWithCompiled,
  text,
} from "../helpers/archive.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { fuzzParameters, fuzzTimeout, shown, withinBudget } from "./budget.js";

/** Damage to bytes: bits flipped, bytes overwritten, cut short, bytes inserted. */
const damage = fc.oneof(
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })
    .map((flips) => (b: Buffer) => {
      const copy = Buffer.from(b);
      for (const [at, bit] of flips)
        copy[at % copy.length] = (copy[at % copy.length] as number) ^ (1 << bit);
      return copy;
    }),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([at, bytes]) => (b: Buffer) => {
      const copy = Buffer.from(b);
      copy.set(bytes.subarray(0, Math.max(0, copy.length - (at % copy.length))), at % copy.length);
      return copy;
    }),
  fc.nat().map((at) => (b: Buffer) => b.subarray(0, at % (b.length + 1))),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([at, bytes]) => (b: Buffer) => {
      const i = at % (b.length + 1);
      return Buffer.concat([b.subarray(0, i), bytes, b.subarray(i)]);
    }),
);

/** Edits to the JSON of one file: a key dropped, a value replaced by another JSON value. */
const jsonEdit = fc
  .tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
  .map(([pick, value, drop]) => (json: unknown) => {
    if (typeof json !== "object" || json === null) return value;
    const copy = structuredClone(json) as Record<string, unknown>;
    const keys = Object.keys(copy);
    const key = keys[pick % Math.max(1, keys.length)] ?? "x";
    if (drop) delete copy[key];
    else copy[key] = value;
    return copy;
  });

/** Positions just after each match of `pattern` in `text`. */
const after = (text: string, pattern: RegExp) =>
  [...text.matchAll(pattern)].map((m) => (m.index as number) + m[0].length);

/** Positions just after a `,` `:` `[` `]` `{` `}` outside strings: where JSON allows whitespace. */
function betweenTokens(text: string): number[] {
  const spots: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (",:[]{}".includes(c as string)) spots.push(i + 1);
  }
  return spots;
}

/**
 * Other spellings of the same JSON: whitespace between tokens, a letter of a key escaped, a
 * trailing zero on a decimal, pretty-printing, another ending. Each reads as the same manifest.
 */
const respelling = fc.oneof(
  fc
    .tuple(fc.nat(), fc.constantFrom(" ", "\t", "\n", "\r\n"))
    .map(([at, space]) => (text: string) => {
      const spots = betweenTokens(text);
      const i = spots[at % spots.length] as number;
      return text.slice(0, i) + space + text.slice(i);
    }),
  fc.nat().map((at) => (text: string) => {
    const keys = [...text.matchAll(/"([a-z_]+)":/g)];
    const key = keys[at % keys.length] as RegExpMatchArray;
    const i = (key.index as number) + 1 + (at % (key[1] as string).length);
    const escaped = `\\u${(text.charCodeAt(i) as number).toString(16).padStart(4, "0")}`;
    return text.slice(0, i) + escaped + text.slice(i + 1);
  }),
  fc.nat().map((at) => (text: string) => {
    // a number's fraction, not a version string's
    const spots = after(text, /[:,[]\s*-?\d+\.\d+(?=\s*[,\]}eE])/g);
    const i = spots[at % spots.length];
    return i === undefined ? text : `${text.slice(0, i)}0${text.slice(i)}`;
  }),
  fc.integer({ min: 1, max: 4 }).map((indent) => (text: string) => {
    return `${JSON.stringify(JSON.parse(text), null, indent)}\n`;
  }),
  fc.constantFrom("", "\n\n", " \n", "\r\n").map((end) => (text: string) => text.trimEnd() + end),
);

/** The manifest edited (its `files` and version left to sealing), and the artifact sealed again. */
function resealWithManifest(
  files: Files,
  edit: (manifest: Record<string, unknown>) => void,
): Files {
  const { format: _f, model_version: _v, files: _l, ...body } = readManifest(files);
  edit(body);
  return sealArtifact(body, {
    [MODEL_JSON]: text(files.get(MODEL_JSON)),
    [COMPILED_JSON]: text(files.get(COMPILED_JSON)),
  });
}

const FOREST_ARRAYS = ["feature", "threshold"] as const;
const compiledEdit = (what: string, edit: (compiled: EditableCompiled) => void) =>
  [what, (files: Files) => resealWithCompiled(files, edit)] as const;

/**
 * Artifacts sealed again after an edit, so every hash matches: a forest node out of range, forest
 * arrays of different lengths, class counts or novelty shapes that disagree with the manifest,
 * compiled.json unlisted, a listed file left out, a manifest that is not an object.
 */
const disagreeing: fc.Arbitrary<readonly [string, (files: Files) => Files]> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...FOREST_ARRAYS), fc.nat(), fc.integer({ min: -6, max: 5_000 }))
    .map(([key, at, value]) =>
      compiledEdit(`forest.${key}[${at}] = ${value}`, (c) => {
        const values = c.forest[key] as number[];
        values[at % values.length] = value;
      }),
    ),
  fc.constantFrom(...FOREST_ARRAYS).map((key) =>
    compiledEdit(`forest.${key} one short`, (c) => {
      (c.forest[key] as number[]).pop();
    }),
  ),
  fc.constant(
    compiledEdit("forest without trees", (c) => {
      c.forest.feature = [];
      c.forest.threshold = [];
    }),
  ),
  fc.integer({ min: 2, max: 6 }).map((n) =>
    compiledEdit(`forest.classes = ${n}`, (c) => {
      c.forest.classes = n;
    }),
  ),
  fc.constantFrom("means", "precisions").map((key) =>
    compiledEdit(`novelty.${key} one short`, (c) => {
      (c.novelty[key] as unknown[]).pop();
    }),
  ),
  fc.array(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 5 }).map(
    (classes) =>
      [
        `classes = ${JSON.stringify(classes)}`,
        (files: Files) =>
          resealWithManifest(files, (m) => {
            m.classes = classes;
          }),
      ] as const,
  ),
  fc.constant([
    "compiled.json not listed",
    (files: Files) => {
      const { format: _f, model_version: _v, files: _l, ...body } = readManifest(files);
      const sealed = sealArtifact(body, { [MODEL_JSON]: text(files.get(MODEL_JSON)) } as never);
      return sealed.set(COMPILED_JSON, files.get(COMPILED_JSON) as Uint8Array);
    },
  ] as const),
  fc.constantFrom(MANIFEST, MODEL_JSON, COMPILED_JSON).map(
    (name) =>
      [
        `${name} left out`,
        (files: Files) => {
          const copy = new Map(files);
          copy.delete(name);
          return copy;
        },
      ] as const,
  ),
  fc
    .jsonValue({ maxDepth: 1 })
    .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
    .map(
      (value) =>
        [
          `manifest ${JSON.stringify(value)}`,
          (files: Files) => new Map(files).set(MANIFEST, Buffer.from(JSON.stringify(value))),
        ] as const,
    ),
);

describe("fuzz: the artifact loader", function () {
  this.timeout(fuzzTimeout());
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  const loads = async (what: string, bytes: Uint8Array) => {
    const outcome = await withinBudget(
      what,
      [ArtifactError],
      async () => {
        const predictor = await loadPredictor(bytes);
        return predictor.predict([5.1, 3.5, 1.4, 0.2]);
      },
      bytes.length,
    );
    if (outcome.value) assert.ok(model.predictor.classes.includes(outcome.value.species));
    return outcome;
  };

  it("damaged tarball bytes: loaded or refused with an ArtifactError", async () => {
    await fc.assert(
      fc.asyncProperty(damage, async (hurt) => {
        await loads("damaged .tar.gz", hurt(model.tarball));
      }),
      fuzzParameters(300),
    );
  });

  it("the manifest spelled another way (same JSON, other bytes): always refused", async () => {
    const original = Buffer.from(model.files.get(MANIFEST) as Uint8Array).toString();
    await fc.assert(
      fc.asyncProperty(fc.array(respelling, { minLength: 1, maxLength: 3 }), async (changes) => {
        const spelled = changes.reduce((text, change) => change(text), original);
        fc.pre(spelled !== original);
        assert.deepEqual(JSON.parse(spelled), JSON.parse(original), "not a re-spelling");
        const files = new Map(model.files).set(MANIFEST, Buffer.from(spelled));
        const outcome = await loads(`manifest spelled ${shown(spelled)}`, await packTarGz(files));
        assert.match(String(outcome.error?.message), /is not in the canonical form/);
      }),
      fuzzParameters(100),
    );
  });

  it("a damaged tar inside a good gzip: loaded or refused", async () => {
    const tar = gunzipSync(model.tarball);
    await fc.assert(
      fc.asyncProperty(damage, async (hurt) => {
        await loads("damaged tar", gzipSync(hurt(tar)));
      }),
      fuzzParameters(300),
    );
  });

  it("archives with odd entries (folders, sub-folders, links, ./ names): loaded or refused", async () => {
    const entry = fc.record({
      name: fc.constantFrom(
        "./",
        ".",
        "manifest.json",
        "./manifest.json",
        "model.json",
        "compiled.json",
        "sub/model.json",
        "x",
        "",
      ),
      type: fc.constantFrom("file", "directory", "symlink"),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), async (extra) => {
        const entries = [
          ...extra.map(({ name, type }) => ({
            header: {
              name: name || "x",
              type,
              ...(type === "symlink" ? { linkname: "model.json" } : {}),
            } as Partial<tar.Header> & { name: string },
            body: type === "file" ? "{}" : undefined,
          })),
          ...[...model.files].map(([name, body]) => ({ header: { name }, body })),
        ];
        await loads(`entries ${shown(extra)}`, await makeTarGz(entries));
      }),
      fuzzParameters(200),
    );
  });

  it("resealed artifacts whose parts disagree: refused, or loaded and predicting one of its classes", async () => {
    await fc.assert(
      fc.asyncProperty(disagreeing, async ([what, edit]) => {
        const bytes = await packTarGz(edit(new Map(model.files)));
        const outcome = await withinBudget(
          what,
          [ArtifactError],
          async () => {
            const predictor = await loadPredictor(bytes);
            return { predictor, species: predictor.predict([5.1, 3.5, 1.4, 0.2]).species };
          },
          bytes.length,
        );
        if (outcome.value)
          assert.ok(outcome.value.predictor.classes.includes(outcome.value.species), what);
      }),
      fuzzParameters(300),
    );
  });

  it("edited manifests and model files, resealed or not: loaded or refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(MANIFEST, MODEL_JSON, COMPILED_JSON),
        jsonEdit,
        fc.boolean(),
        async (name, edit, reseal) => {
          const files = new Map(model.files);
          const original = Buffer.from(files.get(name) as Uint8Array).toString();
          const edited = JSON.stringify(edit(JSON.parse(original))) ?? "null";
          files.set(name, Buffer.from(edited));
          const text = (n: string) => Buffer.from(files.get(n) as Uint8Array).toString();
          let sealed = files;
          if (reseal && name !== MANIFEST) {
            const {
              format: _f,
              model_version: _v,
              files: _l,
              ...rest
            } = JSON.parse(text(MANIFEST));
            sealed = sealArtifact(rest, {
              [MODEL_JSON]: text(MODEL_JSON),
              [COMPILED_JSON]: text(COMPILED_JSON),
            });
          }
          const outcome = await loads(
            `${name} edited to ${shown(edited)}`,
            await packTarGz(sealed),
          );
          // an edit left unsealed never loads (the manifest's hashes catch it) unless it changed nothing
          if (!reseal && name !== MANIFEST && outcome.value)
            assert.equal(edited, original, `an unsealed edit to ${name} was loaded`);
        },
      ),
      fuzzParameters(300),
    );
  });
});
