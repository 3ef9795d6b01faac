/**
 * Fuzzing where a model is read from (core/artifact.ts readArtifactFiles, core/archive.ts): a
 * model.tar.gz file, a folder holding one, a folder of unpacked files as SageMaker leaves them
 * in /opt/ml/model, each with something wrong in it — a file missing, a name with a slash, too
 * many files, a link to a device, a file or a folder over the caps — and archives past the
 * caps on entries, entry size, unpacked and packed size. A model is loaded, or refused with an
 * ArtifactError, within the per-call budgets.
 */
import assert from "node:assert/strict";
import { mkdir, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { type Files, MODEL_CAPS, packTarGz } from "../../core/archive.js";
import {
  ArtifactError,
  loadArtifact,
  MANIFEST,
  readArtifactFiles,
  SIGNATURE,
  TARBALL,
  verifyArtifact,
} from "../../core/artifact.js";
import { readManifest } from "../helpers/archive.js";
import { type TrainedModel, tempDir, trainedModel } from "../helpers/model.js";
import { fuzzParameters, fuzzTimeout, withinBudget } from "./budget.js";

const MiB = 1024 * 1024;

/** What is wrong with an unpacked folder; "none" loads. */
const FOLDER_FAULTS = [
  "none",
  "no manifest",
  "manifest not JSON",
  "manifest lists no files",
  "a listed file missing",
  "a listed name with a slash",
  "too many files listed",
  "a signature beside it",
  "a file linked to a device",
  "a file over the entry cap",
  "files over the unpacked cap",
] as const;
type FolderFault = (typeof FOLDER_FAULTS)[number];

/** Write `files` to a new folder with `fault`; returns the folder and the bytes it holds. */
async function writeFolder(files: Files, fault: FolderFault): Promise<[string, number]> {
  const dir = await tempDir("fuzz-folder-");
  const manifest = readManifest(files) as { files: Record<string, unknown> };
  const bodies = new Map(files);
  let bytes = 0;
  const sparse = async (name: string, size: number) => {
    await writeFile(join(dir, name), "");
    await truncate(join(dir, name), size); // a hole: no disk or memory until read
    manifest.files[name] = {};
    bodies.delete(name);
    bytes += size;
  };
  switch (fault) {
    case "no manifest":
      bodies.delete(MANIFEST);
      break;
    case "manifest not JSON":
      bodies.set(MANIFEST, Buffer.from("{"));
      break;
    case "manifest lists no files":
      bodies.set(MANIFEST, Buffer.from("{}"));
      break;
    case "a listed file missing":
      manifest.files["missing.json"] = {};
      break;
    case "a listed name with a slash":
      manifest.files["sub/model.json"] = {};
      break;
    case "too many files listed":
      for (let i = 0; i < MODEL_CAPS.entries; i++) manifest.files[`f${i}.json`] = {};
      break;
    case "a signature beside it":
      bodies.set(SIGNATURE, Buffer.from('{"signature":"x"}'));
      break;
    case "a file linked to a device":
      await symlink("/dev/zero", join(dir, "zero.json"));
      manifest.files["zero.json"] = {};
      break;
    case "a file over the entry cap":
      await sparse("big.json", MODEL_CAPS.entryBytes + 1);
      break;
    case "files over the unpacked cap":
      for (const name of ["a.json", "b.json", "c.json"])
        await sparse(name, Math.ceil(MODEL_CAPS.unpackedBytes / 3));
      break;
  }
  const listsChanged = ![
    "none",
    "no manifest",
    "manifest not JSON",
    "manifest lists no files",
    "a signature beside it",
  ].includes(fault);
  if (listsChanged) bodies.set(MANIFEST, Buffer.from(JSON.stringify(manifest)));
  for (const [name, body] of bodies) {
    await writeFile(join(dir, name), body);
    bytes += body.length;
  }
  return [dir, bytes];
}

/** The archive with its first entry's header claiming `size` bytes (checksum made right). */
function claimingSize(tarGz: Uint8Array, size: number): Buffer {
  const tar = Buffer.from(gunzipSync(tarGz));
  tar.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "ascii");
  tar.fill(" ", 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i] as number;
  tar.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return gzipSync(tar);
}

/** A model.tar.gz past a cap: on entries, on one entry's size, unpacked, packed. */
const PAST_CAPS = ["entries", "entry size", "unpacked", "packed"] as const;

describe("fuzz: where a model is read from", function () {
  this.timeout(fuzzTimeout());
  let model: TrainedModel;
  let bomb: Buffer;
  before(async () => {
    model = await trainedModel();
    // 64 MiB of zeros and a bit: about 64 KiB once gzipped
    bomb = gzipSync(Buffer.alloc(MODEL_CAPS.unpackedBytes + MiB));
  });

  it("a folder of unpacked files, with one thing wrong: loaded only when nothing is", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FOLDER_FAULTS), async (fault) => {
        const [dir, bytes] = await writeFolder(model.files, fault);
        const outcome = await withinBudget(
          `folder: ${fault}`,
          [ArtifactError],
          () => loadArtifact(dir),
          bytes,
        );
        assert.equal(
          outcome.error === undefined,
          fault === "none" || fault === "a signature beside it",
          `${fault}: ${outcome.error?.message}`,
        );
      }),
      // every fault at least once, however short the run
      {
        ...fuzzParameters<[FolderFault]>(100),
        examples: FOLDER_FAULTS.map((fault): [FolderFault] => [fault]),
      },
    );
  });

  it("a model.tar.gz, as a file, in a folder, or not there: loaded or refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("file", "folder", "missing", "empty folder"),
        fc.option(fc.nat(), { nil: undefined }),
        async (form, cut) => {
          const dir = await tempDir("fuzz-tarball-");
          const bytes =
            cut === undefined
              ? model.tarball
              : model.tarball.subarray(0, cut % model.tarball.length);
          if (form === "file" || form === "folder") await writeFile(join(dir, TARBALL), bytes);
          if (form === "empty folder") await mkdir(join(dir, "x"));
          const source = form === "file" || form === "missing" ? join(dir, TARBALL) : dir;
          const outcome = await withinBudget(
            `${form}, ${bytes.length} bytes`,
            [ArtifactError],
            () => loadArtifact(source),
            bytes.length,
          );
          if (form === "missing" || form === "empty folder") assert.ok(outcome.error, form);
          if (cut === undefined && (form === "file" || form === "folder"))
            assert.equal(outcome.error, undefined);
        },
      ),
      fuzzParameters(150),
    );
  });

  it("archives past the caps: refused, naming the cap", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PAST_CAPS), fc.boolean(), async (cap, named) => {
        let bytes: Uint8Array;
        switch (cap) {
          case "entries":
            bytes = await packTarGz(
              new Map([
                ...model.files,
                ...Array.from(
                  { length: MODEL_CAPS.entries },
                  (_, i) => [`f${i}`, new Uint8Array(1)] as const,
                ),
              ]),
            );
            break;
          case "entry size":
            bytes = claimingSize(model.tarball, MODEL_CAPS.entryBytes + 1);
            break;
          case "unpacked":
            bytes = bomb;
            break;
          case "packed":
            bytes = Buffer.alloc(MODEL_CAPS.compressedBytes + 1);
            bytes.set([0x1f, 0x8b]);
            break;
        }
        // the work is bounded by the cap, not by the bytes sent: a bomb inflates 64 MiB
        const work = cap === "unpacked" ? MODEL_CAPS.unpackedBytes : bytes.length;
        const outcome = await withinBudget(
          `past the cap on ${cap}`,
          [ArtifactError],
          async () =>
            verifyArtifact(
              await (named
                ? readArtifactFiles(bytes, "s3://b/model.tar.gz")
                : readArtifactFiles(bytes)),
            ),
          work,
        );
        assert.ok(outcome.error, cap);
        assert.match(outcome.error.message, /cap/);
        if (named) assert.match(outcome.error.message, /^s3:\/\/b\/model\.tar\.gz: /);
      }),
      {
        ...fuzzParameters<[(typeof PAST_CAPS)[number], boolean]>(16),
        examples: PAST_CAPS.map((cap, i): [(typeof PAST_CAPS)[number], boolean] => [
          cap,
          i % 2 === 0,
        ]),
      },
    );
  });
});
