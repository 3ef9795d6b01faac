/**
 * core/tar-end.ts through unpackTarGz: a tarball is read up to its end-of-archive marker, as GNU
 * tar reads it, and refused if anything but zeros follows; what it accepts, `tar -tzf` lists.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { type Files, packTarGz, unpackTarGz } from "../../core/archive.js";
import { ArtifactError, MANIFEST, readArtifactFiles } from "../../core/artifact.js";
import { loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../../training/options.js";
import { train } from "../../training/train.js";
import { makeTarGz } from "../helpers/archive.js";

const tarPart = async (files: Files) => gunzipSync(await packTarGz(files));

/** What GNU tar runs on the bytes prints (it is the reader SageMaker and docs/model.md use). */
function gnuTar(args: string[], tarGz: Uint8Array): string {
  const run = spawnSync("tar", args, { input: tarGz, maxBuffer: 64 * 1024 * 1024 });
  return run.stdout.toString("utf8");
}

async function refusal(tarGz: Uint8Array): Promise<string> {
  const error = await readArtifactFiles(tarGz).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ArtifactError, `expected an ArtifactError, got ${String(error)}`);
  return error.message;
}

describe("core/tar-end.ts: nothing after the end-of-archive marker", function () {
  this.timeout(120_000);
  const model = (seed: number) =>
    train(loadIris(), { ...DEFAULT_TRAIN_OPTIONS, trees: 3, folds: 2, seed }).files;
  let a: Files;
  let b: Files;
  before(() => {
    a = model(1);
    b = model(2);
  });

  it("refuses two models' tar streams under one gzip, which tar reads as the first only", async () => {
    const both = gzipSync(Buffer.concat([await tarPart(a), await tarPart(b)]));
    // the deployer's pin reads model A…
    assert.equal(
      gnuTar(["-xOzf", "-", MANIFEST], both),
      Buffer.from(a.get(MANIFEST) as Uint8Array).toString(),
    );
    // …so the loader must not read model B
    assert.match(await refusal(both), /data after its end-of-archive marker/);
  });

  it("refuses them as two gzip members too", async () => {
    const both = Buffer.concat([await packTarGz(a), await packTarGz(b)]);
    assert.match(await refusal(both), /data after its end-of-archive marker/);
  });

  it("accepts zero padding after the marker, as tar writes it to fill a record", async () => {
    const padded = gzipSync(Buffer.concat([await tarPart(a), Buffer.alloc(10 * 512)]));
    assert.deepEqual([...(await readArtifactFiles(padded)).keys()].sort(), [...a.keys()].sort());
  });

  it("refuses a pax header that overrides an entry's size (tar and the walk would part ways)", async () => {
    const tarGz = await makeTarGz([
      { header: { name: "x.json", type: "file", pax: { size: "0" } }, body: "{}" },
    ]);
    assert.match(await refusal(tarGz), /pax header .* sets a file's size/);
  });

  // whole zero blocks: tar-stream already refuses a partial block at the end
  it("accepts what `tar -tzf` lists, exactly, and refuses anything but zeros after the end", async () => {
    const name = fc.constantFrom("manifest.json", "model.json", "compiled.json", "a", "b.txt");
    const files = fc
      .uniqueArray(fc.tuple(name, fc.uint8Array({ maxLength: 1500 })), {
        selector: ([n]) => n,
        maxLength: 4,
      })
      .map((entries) => new Map(entries));
    const tail = fc.oneof(
      fc.constant(new Uint8Array()),
      fc.integer({ min: 1, max: 8 }).map((blocks) => new Uint8Array(blocks * 512)),
      fc.uint8Array({ minLength: 1, maxLength: 1024 }),
      files,
    );
    await fc.assert(
      fc.asyncProperty(files, tail, fc.boolean(), async (first, after, withPax) => {
        const head = withPax
          ? gunzipSync(
              await makeTarGz(
                [...first].map(([n, body]) => ({
                  header: { name: n, type: "file" as const, pax: { comment: "x" } },
                  body,
                })),
              ),
            )
          : await tarPart(first);
        const rest = after instanceof Map ? await tarPart(after) : Buffer.from(after);
        const tarGz = gzipSync(Buffer.concat([head, rest]));
        const read = await unpackTarGz(tarGz).then(
          (f) => f,
          (e: Error) => e,
        );
        const onlyZeros = rest.every((byte) => byte === 0);
        assert.equal(read instanceof Error, !onlyZeros, String(read));
        if (read instanceof Error) return;
        const listed = gnuTar(["-tzf", "-"], tarGz).split("\n").filter(Boolean).sort();
        assert.deepEqual([...read.keys()].sort(), listed);
      }),
      { numRuns: 60 },
    );
  });
});
