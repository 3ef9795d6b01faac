/**
 * adv-11: the capture reader on a small gzip object that unzips to a great many empty lines
 * (a few hundred KB of gzip, under MAX_OBJECT_TEXT_BYTES unzipped). The text was cut with
 * split("\n"), one array slot per line: 64 Mi lines need 512 MB more than the text itself, and
 * the process died of a fatal out-of-memory, no catch possible (the DriftMonitor has 1024 MB,
 * and "never thrown" is the reader's contract). The lines are walked one at a time now.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { tempDir } from "../helpers/model.js";

describe("adv-11: capture reader and a gzip object of many lines", () => {
  it("reads it in bounded memory: no fatal out-of-memory", async function () {
    this.timeout(120_000);
    const dir = await tempDir("adv-11-bomb-");
    const line = `${JSON.stringify({ message: "capture", capture: { time: "2026-12-02T15:00:00.000Z", door: "server", model_version: "v", rows: [{ features: [5.1, 3.5, 1.4, 0.2], species: "setosa", probabilities: { setosa: 1 }, is_iris: true }] } })}\n`;
    const text = Buffer.concat([Buffer.alloc(64 * 1024 * 1024, "\n"), Buffer.from(line)]);
    await writeFile(join(dir, "bomb.gz"), gzipSync(text, { level: 9 }));
    const script = `const m = await import("./monitoring/capture-read.ts"); const { readCapture } = m.readCapture ? m : m.default; let n = 0; for await (const r of readCapture(${JSON.stringify(dir)})) n++; console.log("records " + n);`;
    const child = spawnSync(
      process.execPath,
      ["--max-old-space-size=256", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 100_000 },
    );
    assert.equal(child.status, 0, `the reader died: ${child.stderr.slice(0, 400)}`);
    assert.match(child.stdout, /records 1/);
  });
});
