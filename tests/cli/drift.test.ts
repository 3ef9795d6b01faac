/** `iris-mlops drift` (cli/drift.ts): --since, the table, JSON and the exit codes. */
import assert from "node:assert/strict";
import { EXIT_CODES, parseSince, runDrift } from "../../cli/drift.js";
import { generateTraffic, type Mix } from "../../monitoring/traffic.js";
import { runCli } from "../helpers/cli.js";
import { trainedModel } from "../helpers/trained.js";

const start = new Date("2026-11-01T00:00:00Z");

describe("cli/drift.ts", () => {
  it("--since: minutes, hours, days back, or an ISO date; anything else refused", () => {
    const now = new Date("2026-11-08T00:00:00Z");
    assert.equal(parseSince("7d", now).toISOString(), "2026-11-01T00:00:00.000Z");
    assert.equal(parseSince("24h", now).toISOString(), "2026-11-07T00:00:00.000Z");
    assert.equal(parseSince("30m", now).toISOString(), "2026-11-07T23:30:00.000Z");
    assert.equal(parseSince("2026-11-02", now).toISOString(), "2026-11-02T00:00:00.000Z");
    for (const bad of ["7", "7w", "-1d", "yesterday", ""])
      assert.throws(() => parseSince(bad, now), /expected a duration/);
  });

  for (const [mix, verdict] of [
    ["iris", "ok"],
    ["shifted", "drift"],
  ] as [Mix, "ok" | "drift"][]) {
    it(`exits ${EXIT_CODES[verdict]} on ${mix} traffic, with a table and JSON`, async () => {
      const { predictor } = await trainedModel();
      const records = () =>
        generateTraffic({
          mix,
          rows: 500,
          seed: 1,
          modelVersion: predictor.modelVersion,
          start,
          predictor,
        });
      let text = "";
      const common = {
        modelVersion: predictor.modelVersion,
        profile: predictor.manifest.training_profile,
        since: start,
        until: new Date("2026-11-08T00:00:00Z"),
        write: (t: string) => {
          text += t;
        },
      };
      const table = await runDrift({ ...common, records: records(), json: false });
      assert.equal(table.code, EXIT_CODES[verdict]);
      assert.match(text, new RegExp(`^overall\\s+500 .* ${verdict}$`, "m"));
      text = "";
      const json = await runDrift({ ...common, records: records(), json: true });
      assert.equal(JSON.parse(text).verdict, verdict);
      assert.equal(json.code, EXIT_CODES[verdict]);
    });
  }

  it("refuses a model without a training profile, saying to retrain", async () => {
    await assert.rejects(
      runDrift({
        modelVersion: "x",
        profile: undefined,
        records: [],
        since: start,
        until: start,
        json: false,
        write: () => undefined,
      }),
      /carries no training profile.*retrain/,
    );
  });

  it("exits 2 with a message on a window that holds no traffic or a missing option", async () => {
    for (const [args, message] of [
      [["--capture", "nowhere", "--since", "0m"], /^iris-mlops: expected a duration above zero/],
      [
        ["--capture", "nowhere", "--since", "2999-01-01"],
        /^iris-mlops: --since 2999-01-01 is not in the past/,
      ],
      [[], /required option '--capture <location>'/],
    ] as const) {
      const result = await runCli(["drift", ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it("exits 2 with a message on a bad --since", async () => {
    const result = await runCli(["drift", "--capture", "nowhere", "--since", "soon"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^iris-mlops: expected a duration/);
  });
});
