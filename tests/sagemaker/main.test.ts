/**
 * The container's entrypoint, sagemaker/main.ts, run as SageMaker runs it (`<image> <command>`):
 * anything but `serve` or `train` is refused with a usage message and a non-zero exit, and
 * `serve` without a pin, a key or an opt-in refuses the model SageMaker unpacked from S3.
 */
import assert from "node:assert/strict";
import { Spawned } from "../helpers/spawned.js";

describe("sagemaker/main.ts (the entrypoint as a process)", () => {
  for (const args of [["predict"], [], ["SERVE"]]) {
    it(`refuses ${args.length ? JSON.stringify(args[0]) : "no argument"} with a usage message`, async () => {
      const entrypoint = Spawned.start("sagemaker/main.ts", args);
      const exit = await entrypoint.exit();
      assert.equal(exit.signal, null);
      assert.notEqual(exit.code, 0, entrypoint.output);
      assert.match(entrypoint.stderr, /usage: .*serve \| train/);
      assert.match(entrypoint.stderr, new RegExp(`got "${args[0] ?? ""}"`));
    });
  }

  it("serve with no MODEL_MANIFEST_SHA256, MODEL_PUBLIC_KEY or opt-in exits non-zero, naming them, before it listens", async () => {
    const entrypoint = Spawned.start("sagemaker/main.ts", ["serve"], {
      MODEL_SHA256: undefined,
      MODEL_MANIFEST_SHA256: undefined,
      MODEL_PUBLIC_KEY: undefined,
      MODEL_ALLOW_UNVERIFIED: undefined,
      SAGEMAKER_BIND_TO_PORT: "0",
    });
    const exit = await entrypoint.exit();
    assert.equal(exit.code, 1, entrypoint.output);
    assert.match(
      entrypoint.stderr,
      /^\/opt\/ml\/model is neither pinned by sha256 .*MODEL_MANIFEST_SHA256/,
    );
    assert.doesNotMatch(entrypoint.output, /serving/);
  });
});
