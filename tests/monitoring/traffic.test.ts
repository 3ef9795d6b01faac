/** The traffic generator (monitoring/traffic.ts): each mix gets the verdict docs/monitoring.md shows. */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readCapture } from "../../monitoring/capture-read.js";
import { computeDrift } from "../../monitoring/drift.js";
import { generateTraffic, type Mix } from "../../monitoring/traffic.js";
import { writeTrafficFiles } from "../../monitoring/traffic-files.js";
import type { TrainingProfile } from "../../monitoring/types.js";
import { tempDir, trainedModel } from "../helpers/trained.js";

const start = new Date("2026-11-01T00:00:00Z");

async function verdictOf(mix: Mix, seed: number) {
  const { predictor } = await trainedModel();
  const records = generateTraffic({
    mix,
    rows: 2000,
    seed,
    modelVersion: predictor.modelVersion,
    start,
    predictor,
  });
  return computeDrift({
    modelVersion: predictor.modelVersion,
    profile: predictor.manifest.training_profile as TrainingProfile,
    records,
    since: start,
    until: new Date("2026-11-08T00:00:00Z"),
  });
}

describe("monitoring/traffic.ts", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: iris is ok, shifted drifts, not-iris drifts on its not-Iris share`, async () => {
      const iris = await verdictOf("iris", seed);
      assert.equal(
        iris.verdict,
        "ok",
        JSON.stringify(iris.overall.features.map((f) => [f.psi, f.ks])),
      );
      assert.ok(iris.overall.not_iris_share < 0.05);
      const shifted = await verdictOf("shifted", seed);
      assert.equal(shifted.verdict, "drift");
      for (const f of shifted.overall.features) assert.equal(f.verdict, "drift", f.feature);
      const notIris = await verdictOf("not-iris", seed);
      assert.equal(notIris.verdict, "drift");
      assert.ok(notIris.overall.not_iris_share >= 0.2, `${notIris.overall.not_iris_share}`);
    });
  }

  it("is seeded: the same options give the same records, another seed others", () => {
    const options = {
      mix: "iris" as const,
      rows: 50,
      seed: 4,
      modelVersion: "0123456789abcdef",
      start,
    };
    assert.deepEqual(generateTraffic(options), generateTraffic(options));
    assert.notDeepEqual(generateTraffic(options), generateTraffic({ ...options, seed: 5 }));
  });

  it("writes capture files per hour, one request a line", async () => {
    const records = generateTraffic({
      mix: "shifted",
      rows: 150,
      seed: 1,
      modelVersion: "0123456789abcdef",
      start,
    });
    const out = tempDir();
    const files = await writeTrafficFiles(records, out, "traffic-shifted-1");
    assert.deepEqual(await readdir(join(out, "server/2026/11/01")), ["00", "01", "02"]);
    let lines = 0;
    for (const file of files) {
      for (const line of (await readFile(file, "utf8")).trimEnd().split("\n")) {
        assert.equal(JSON.parse(line).message, "capture");
        lines++;
      }
    }
    assert.equal(lines, records.length);
    const read = [];
    for await (const record of readCapture(out)) read.push(record);
    const byTime = (a: { time: string }, b: { time: string }) => a.time.localeCompare(b.time);
    assert.deepEqual(read.sort(byTime), [...records].sort(byTime));
  });
});
