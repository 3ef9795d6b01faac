/** server/log.ts: pino-shaped JSON lines, filtered by level; an unknown level is refused. */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { createLogger } from "../../server/log.js";

describe("server/log.ts createLogger", () => {
  it("writes one JSON line per call in pino's shape, msg last", () => {
    const lines: string[] = [];
    const log = createLogger("info", (line) => lines.push(line));
    log.info({ port: 8080 }, "serving");
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith("\n"));
    const record = JSON.parse(lines[0] as string);
    assert.deepEqual(Object.keys(record), ["level", "time", "pid", "hostname", "port", "msg"]);
    assert.equal(record.level, 30);
    assert.equal(record.pid, process.pid);
    assert.equal(record.hostname, hostname());
    assert.equal(record.msg, "serving");
    assert.ok(Math.abs(record.time - Date.now()) < 60_000);
  });

  it("writes an error under err as type, message and stack", () => {
    const lines: string[] = [];
    createLogger("error", (line) => lines.push(line)).error({ err: new TypeError("no") }, "failed");
    const { err } = JSON.parse(lines[0] as string);
    assert.equal(err.type, "TypeError");
    assert.equal(err.message, "no");
    assert.match(err.stack, /TypeError: no/);
  });

  it("drops what is below its level; silent drops everything", () => {
    const lines: string[] = [];
    const warn = createLogger("warn", (line) => lines.push(line));
    warn.info({}, "dropped");
    warn.warn({}, "kept");
    warn.error({}, "kept too");
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).msg),
      ["kept", "kept too"],
    );
    const silent = createLogger("silent", (line) => lines.push(line));
    silent.error({}, "dropped");
    assert.equal(lines.length, 2);
  });

  it("takes a level in any case", () => {
    const lines: string[] = [];
    const log = createLogger("WARN", (line) => lines.push(line));
    assert.equal(log.level, "warn");
    log.info({}, "dropped");
    log.warn({}, "kept");
    assert.equal(lines.length, 1);
  });

  it("refuses an unknown level, naming the known ones", () => {
    assert.throws(() => createLogger("loud"), /unknown log level "loud".*info/);
  });
});
