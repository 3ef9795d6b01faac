/**
 * The registry's layout (core/registry.ts) over open input: whatever keys a bucket lists, a key
 * is read as a version's file exactly when it is that file's key, and only well-formed versions
 * are versions.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  isModelVersion,
  manifestKeyFor,
  modelKeyFor,
  registryFile,
  registryVersions,
} from "../../core/registry.js";

const version = fc.stringMatching(/^[0-9a-f]{16}$/);
/** Keys near the layout: its parts, shuffled and damaged, and anything else. */
const key = fc.oneof(
  fc.string(),
  fc
    .array(
      fc.oneof(
        fc.constantFrom("models", "model.tar.gz", "manifest.json", "", ".", ".."),
        version,
        fc.string({ maxLength: 20 }),
      ),
      { maxLength: 4 },
    )
    .map((parts) => parts.join("/")),
);

describe("core/registry: the layout of models/<version>/", () => {
  it("reads a key as a version's file exactly when it is that file's key", () => {
    fc.assert(
      fc.property(key, (k) => {
        const file = registryFile(k);
        if (file === undefined) return;
        assert.ok(isModelVersion(file.version), file.version);
        assert.equal(
          file.file === "model.tar.gz" ? modelKeyFor(file.version) : manifestKeyFor(file.version),
          k,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("finds every version's tarball and manifest, and a version only by its tarball", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(version, { maxLength: 8 }),
        fc.uniqueArray(version, { maxLength: 8 }),
        fc.array(key, { maxLength: 8 }),
        (withTarball, manifestOnly, noise) => {
          for (const v of withTarball) {
            assert.deepEqual(registryFile(modelKeyFor(v)), { version: v, file: "model.tar.gz" });
            assert.deepEqual(registryFile(manifestKeyFor(v)), {
              version: v,
              file: "manifest.json",
            });
          }
          const foreign = noise.filter((k) => registryFile(k) === undefined);
          const keys = [
            ...foreign,
            ...manifestOnly.map(manifestKeyFor),
            ...withTarball.map(modelKeyFor),
          ];
          assert.deepEqual(registryVersions(keys), [...withTarball].sort());
        },
      ),
    );
  });

  it("takes only 16 lower-case hex digits as a version", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        assert.equal(isModelVersion(s), /^[0-9a-f]{16}$/.test(s));
        if (!isModelVersion(s)) assert.equal(registryFile(modelKeyFor(s)), undefined);
      }),
    );
  });
});
