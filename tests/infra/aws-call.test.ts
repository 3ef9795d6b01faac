/** components/aws-call.ts: the bounded AWS call the dynamic providers share. */
import assert from "node:assert/strict";
import { callWithin } from "../../components/aws-call.js";

describe("callWithin", () => {
  const LIMITS = { callMs: 60_000, floorMs: 50 };

  it("takes a deadline with a fraction of a millisecond (a timeoutSeconds like 3.0001)", async () => {
    // found by review: AbortSignal.timeout refused the fractional budget and every call failed
    const answer = await callWithin(Date.now() + 3000.1, LIMITS, async () => "ok");
    assert.equal(answer, "ok");
  });

  it("ends a call that never answers at the deadline, saying so", async () => {
    const started = Date.now();
    await assert.rejects(
      callWithin(Date.now() + 100, LIMITS, () => new Promise(() => undefined)),
      (err: Error) =>
        err.name === "TimeoutError" && /no complete answer within 1 s/.test(err.message),
    );
    assert.ok(Date.now() - started < 5_000);
  });
});
