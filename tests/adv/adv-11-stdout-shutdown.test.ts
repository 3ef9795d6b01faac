/**
 * adv-11: `iris-mlops serve --capture-log` (the container's capture on a SageMaker serverless
 * endpoint) and SIGTERM while standard output lags. The sink takes a line while stdout is at
 * most 1 MiB behind (it is counted "captured"), but has no close(): app.close() resolves at
 * once and listen.ts calls process.exit(0), which drops what Node still holds for the pipe.
 * docs/monitoring.md: "app.close() (SIGTERM) writes every line taken before it resolves."
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { readCapture } from "../../monitoring/capture-read.js";
import { rowOf, SETOSA, tempDir, trainedModel } from "../helpers/model.js";
import { freePort, Spawned, waitForOk } from "../helpers/spawned.js";

describe("adv-11: --capture-log lines taken before SIGTERM", () => {
  let cli: Spawned | undefined;
  after(() => cli?.kill("SIGKILL"));

  it("are all on standard output when the process exits, even with a slow reader", async function () {
    this.timeout(90_000);
    const { dir: model } = await trainedModel();
    const port = await freePort();
    cli = Spawned.start(
      "cli/main.ts",
      ["serve", "--port", String(port), "--model", model, "--capture-log"],
      {
        LOG_LEVEL: "warn",
        CAPTURE_SAMPLE: "1",
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/ping`, cli);
    const stdout = cli.child.stdout as Readable;
    stdout.pause(); // a slow log reader: the pipe fills, Node queues the rest
    const rows = Array.from({ length: 100 }, () => rowOf(SETOSA));
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: rows }),
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const captured = Number(
      /iris_capture_lines_total\{outcome="captured"\} (\d+)/.exec(metrics)?.[1],
    );
    cli.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stdout.resume();
    await cli.exit(30_000);
    const dir = await tempDir("adv-11-stdout-");
    await writeFile(join(dir, "container.log"), cli.stdout);
    let read = 0;
    for await (const _ of readCapture(dir)) read++;
    assert.equal(
      read,
      captured * rows.length,
      `${captured} lines counted captured, ${read / rows.length} on stdout`,
    );
  });
});
