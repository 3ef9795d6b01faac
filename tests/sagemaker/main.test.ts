/**
 * The container's entrypoint, sagemaker/main.ts, run as SageMaker runs it (`<image> <command>`):
 * anything but `serve` or `train` is refused with a usage message and a non-zero exit.
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
});
