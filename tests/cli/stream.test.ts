/** predictStream in process: order, backpressure both ways, progress, errors that are not the input's. */
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { predictStream } from "../../cli/predict.js";
import type { Predictor } from "../../core/predictor.js";
import { irisData, trainedModel } from "../helpers/trained.js";

/**
 * A writable that counts lines (a write may carry several), answers each write late, and keeps
 * only what the test asks.
 */
function slowSink(onLine: (line: string, buffered: number) => void) {
  const sink = new Writable({
    highWaterMark: 4_096,
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString();
      assert.ok(text.endsWith("\n"), "a write ends with a whole line");
      for (const line of text.slice(0, -1).split("\n")) onLine(line, sink.writableLength);
      setImmediate(callback);
    },
  });
  return sink;
}

describe("predictStream", function () {
  this.timeout(120_000);

  it("reads no further ahead than it writes when the output is slow (backpressure)", async () => {
    const { predictor } = await trainedModel();
    const rows = irisData().rows;
    const expected = rows.map((row) => JSON.stringify(predictor.predict(row)));
    const total = 30_000;
    let generated = 0;
    let written = 0;
    let wrong = 0;
    let maxAhead = 0;
    let maxBuffered = 0;
    const input = Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) {
          generated++;
          yield `${(rows[i % 150] as number[]).join(",")}\n`;
        }
      })(),
    );
    const output = slowSink((line, buffered) => {
      if (line !== expected[written % 150]) wrong++;
      written++;
      maxAhead = Math.max(maxAhead, generated - written);
      maxBuffered = Math.max(maxBuffered, buffered);
    });
    const result = await predictStream(predictor, input, output, { format: "auto" });
    await new Promise<void>((resolve) => output.end(resolve));
    assert.deepEqual(result, { rows: total, errors: 0 });
    assert.equal(written, total);
    assert.equal(wrong, 0);
    // the input is pulled as the output drains, not read whole: a few thousand lines ahead at most
    assert.ok(maxAhead < 5_000, `read ${maxAhead} rows ahead of the output`);
    assert.ok(maxBuffered < 64 * 1024, `${maxBuffered} bytes waiting in the output`);
  });

  it("reports progress after each run of lines written, with the rows done so far", async () => {
    const { predictor } = await trainedModel();
    const progress: number[] = [];
    const chunk = Array.from({ length: 1_000 }, () => "5.1,3.5,1.4,0.2\n").join("");
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const chunks = Array.from({ length: 25 }, () => chunk);
    const result = await predictStream(predictor, Readable.from(chunks), sink, {
      format: "csv",
      onProgress: (rows) => progress.push(rows),
    });
    assert.deepEqual(
      progress,
      chunks.map((_, i) => (i + 1) * 1_000),
    );
    assert.equal(result.rows, 25_000);
  });

  it("with --format csv, a JSON line first stops the run (no column order); with jsonl, CSV lines are bad rows", async () => {
    const { predictor } = await trainedModel();
    const collect = async (text: string, format: "csv" | "jsonl") => {
      const out: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out.push(chunk.toString());
          callback();
        },
      });
      const result = await predictStream(predictor, Readable.from([text]), sink, { format });
      return { result, out };
    };
    const csv = await collect("[5.1, 3.5, 1.4, 0.2]\n5.1,3.5,1.4,0.2\n", "csv");
    assert.deepEqual(csv.result, { rows: 1, errors: 1, stopped: "bad_first_line" });
    assert.match(csv.out[0] as string, /^\{"error":"line 1, mixes numbers with other text/);
    const jsonl = await collect("5.1,3.5,1.4,0.2\n", "jsonl");
    assert.deepEqual(jsonl.result, { rows: 1, errors: 1 });
    assert.match(jsonl.out[0] as string, /^\{"error":"line 1, not valid JSON/);
  });

  it("with --jobs, a worker that fails fails the run (it is not written as rows' errors)", async () => {
    const { predictor } = await trainedModel();
    const forest = {
      ...predictor.compiled.forest,
      feature: predictor.compiled.forest.feature.map(() => 9),
    };
    const broken: Predictor = { ...predictor, compiled: { ...predictor.compiled, forest } };
    const run = "5.1,3.5,1.4,0.2\n".repeat(100);
    const written: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback();
      },
    });
    await assert.rejects(
      predictStream(broken, Readable.from([run, run, run]), sink, { format: "csv", jobs: 2 }),
      /out of range/,
    );
    assert.doesNotMatch(written.join(""), /error/);
  });

  it("lets an error that is not about the input escape, instead of writing it as a row's error", async () => {
    const { predictor } = await trainedModel();
    const broken: Predictor = {
      ...predictor,
      predictColumns: () => {
        throw new TypeError("boom");
      },
    };
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    await assert.rejects(
      predictStream(broken, Readable.from(["5.1,3.5,1.4,0.2\n"]), sink, { format: "auto" }),
      /boom/,
    );
  });
});
