/**
 * `iris-mlops:model.version` as the program reads it: set without `--path` it arrives as typed;
 * inside `iris-mlops:model` (what `--path` writes) it may arrive as a number, which has lost digits.
 */
import { strict as assert } from "node:assert";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";

const A = "5d177325a06d9aa4";
const B = "f056889fa1a89341";

describe("pinning a model version: the config key", () => {
  describe("the config key iris-mlops:model.version", () => {
    const parse = (raw: Record<string, unknown>) =>
      parseStackConfig(
        Object.fromEntries(
          Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
        ),
      );
    const refused = (raw: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () => parse(raw),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message),
      );

    it("is read as typed when set without --path, even when it looks like a number", () => {
      // JSON.parse would make these 1234567890123456 and Infinity
      for (const version of ["0123456789abcdef", "1234567890123456", "1e10000000000000"]) {
        assert.equal(parse({ "iris-mlops:model.version": version }).modelVersion, version);
      }
      assert.equal(parse({}).modelVersion, undefined);
    });

    it("is read inside iris-mlops:model too, beside the hyper-parameters it then overrides", () => {
      const config = parse({ "iris-mlops:model": { trees: 100, version: A } });
      assert.equal(config.modelVersion, A);
      assert.equal(config.model.trees, 100);
      assert.equal("version" in config.model, false, "not a training option");
      const flat = parse({
        "iris-mlops:model": { trees: 100 },
        "iris-mlops:model.version": A,
      });
      assert.equal(flat.modelVersion, A);
    });

    it("refuses a version --path turned into a number, saying how to set it", () => {
      refused(
        { "iris-mlops:model": { version: 1234567890123456 } },
        /iris-mlops:model\.version: must be a model version string, but Pulumi stored it as the number 1234567890123456 .*pulumi config set iris-mlops:model\.version <version>`, without --path/,
      );
    });

    it("refuses what is not a version, a version set twice, and a version with modelPath", () => {
      for (const bad of ["abc", "0123456789ABCDEF", "models/0123456789abcdef", ""]) {
        refused(
          { "iris-mlops:model.version": bad },
          /iris-mlops:model\.version: must be a model version, 16 hex digits/,
        );
      }
      refused(
        { "iris-mlops:model": { version: A }, "iris-mlops:model.version": B },
        /iris-mlops:model\.version is set twice, as a key of its own and inside iris-mlops:model: keep one/,
      );
      refused(
        { "iris-mlops:model.version": A, "iris-mlops:modelPath": "m.tar.gz" },
        /iris-mlops:modelPath and iris-mlops:model\.version both name the model to serve: keep one/,
      );
      refused({ "iris-mlops:model.verison": A }, /known keys: .*iris-mlops:model\.version/);
    });
  });
});
