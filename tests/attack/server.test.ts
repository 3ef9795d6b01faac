/**
 * The attack suite: the real server (`iris-mlops serve`, its own process) under each abuse
 * class of bench/lib/attacks.ts, over loopback, at a reduced scale. The budgets are invariants:
 * no 5xx but the documented 503, no crash, no hang, no 200 cut short, peak RSS under the
 * budget, /ping answered within SageMaker's 2 s while attacked.
 */
import assert from "node:assert/strict";
import { startServer } from "../../bench/lib/attack-server.js";
import {
  ATTACKS,
  type Outcome,
  probePing,
  type Scale,
  sigtermUnderLoad,
} from "../../bench/lib/attacks.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { ROOT } from "../helpers/spawned.js";

const SCALE: Scale = { bigBytes: 6 * 1024 * 1024 - 1024, classMs: 4000, flood: 600 };
/** Peak RSS budget of a server process under any one class (a 1 GB container with room). */
const PEAK_RSS_MB = 600;
/** SageMaker's /ping contract; measured worst here is 0.42 s (JSON batches ending at once), 0.33 s otherwise. */
const PING_MS = 2000;

describe("attack suite: iris-mlops serve as a process, over sockets", function () {
  this.timeout(120_000);
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  function expectWithinBudgets(name: string, outcome: Outcome, peakMb: number, pingMs: number) {
    const what = `${name}: ${JSON.stringify(outcome)}, peak ${Math.round(peakMb)} MB, /ping ${Math.round(pingMs)} ms`;
    assert.equal(outcome.fiveXX, 0, what);
    assert.equal(outcome.hangs, 0, what);
    assert.equal(outcome.truncated, 0, what);
    assert.ok(peakMb < PEAK_RSS_MB, what);
    assert.ok(pingMs < PING_MS, what);
  }

  for (const [name, attack] of Object.entries(ATTACKS)) {
    it(`stays within its budgets under ${name}`, async () => {
      const server = await startServer(ROOT, model.dir);
      try {
        const probe = probePing(server.port);
        const outcome = await attack({ port: server.port, exited: server.exited }, SCALE);
        const { worstMs } = await probe.stop();
        assert.equal(server.exited(), false, `crashed:\n${server.output()}`);
        expectWithinBudgets(name, outcome, server.peakRssMb(), worstMs);
      } finally {
        await server.stop();
      }
    });
  }

  it("drains on SIGTERM under load: exits 0 within 10 s, no answer cut under a 200", async () => {
    const server = await startServer(ROOT, model.dir);
    try {
      const outcome = await sigtermUnderLoad(
        { port: server.port, exited: server.exited },
        SCALE,
        () => server.child.kill("SIGTERM"),
      );
      assert.ok(outcome.exitMs !== undefined && outcome.exitMs < 10_000, JSON.stringify(outcome));
      assert.deepEqual(await server.exit, { code: 0, signal: null });
      assert.equal(outcome.fiveXX, 0, JSON.stringify(outcome));
      assert.equal(outcome.truncated, 0, JSON.stringify(outcome));
    } finally {
      await server.stop();
    }
  });
});
