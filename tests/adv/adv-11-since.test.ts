/**
 * adv-11: `iris-mlops drift --since` with an ISO date-time. The partitions and records are UTC
 * (docs/monitoring.md); a date-time without an offset was read in the machine's local time
 * (ECMAScript's rule for date-time forms), so the window moved with TZ; and an impossible date
 * (2026-02-30) was silently rolled over to March 2.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseSince } from "../../cli/drift.js";

const NOW = new Date("2026-12-02T00:00:00Z");

/** parseSince in a child with the given TZ (TZ is read once per process). */
function sinceIn(tz: string, value: string): string {
  const script = `const m = await import("./cli/drift.ts"); const parseSince = m.parseSince ?? m.default.parseSince; try { console.log(parseSince(${JSON.stringify(value)}, new Date(${NOW.getTime()})).toISOString()); } catch (e) { console.log("refused: " + e.message); }`;
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, TZ: tz },
    encoding: "utf8",
  }).trim();
}

describe("adv-11: --since ISO dates", () => {
  it("a date-time without an offset is UTC, whatever TZ the machine has", () => {
    assert.equal(sinceIn("America/New_York", "2026-11-01T10:00"), "2026-11-01T10:00:00.000Z");
    assert.equal(sinceIn("Asia/Tokyo", "2026-11-01T10:00:00"), "2026-11-01T10:00:00.000Z");
  });

  it("an offset given is kept", () => {
    assert.equal(
      parseSince("2026-11-01T10:00:00+02:00", NOW).toISOString(),
      "2026-11-01T08:00:00.000Z",
    );
    assert.equal(parseSince("2026-11-01T10:00:00Z", NOW).toISOString(), "2026-11-01T10:00:00.000Z");
    assert.equal(parseSince("2026-11-01", NOW).toISOString(), "2026-11-01T00:00:00.000Z");
  });

  it("an impossible calendar date is refused, not rolled over", () => {
    assert.throws(() => parseSince("2026-02-30", NOW), /ISO date/);
    assert.throws(() => parseSince("2026-04-31T00:00Z", NOW), /ISO date/);
  });
});
