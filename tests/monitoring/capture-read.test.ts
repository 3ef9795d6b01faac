/**
 * readCapture (monitoring/capture-read.ts) on what it has not written itself: SageMaker's
 * DataCapture files, written by hand in the documented shape (one JSON line per request:
 * captureData.endpointInput / endpointOutput with observedContentType, mode, data and encoding;
 * eventMetadata.eventId and inferenceTime; eventVersion) with CSV, JSON and BASE64 encodings
 * and a batch split into rows; the hour window; and fuzzed bytes and lines, which are only ever
 * skipped. Also the capture line's own helpers (monitoring/capture-line.ts).
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import type { Predictor } from "../../core/predictor.js";
import {
  CAPTURE_MAX_ROWS,
  captureEntry,
  captureLine,
  captureRateFromEnv,
  captureRecords,
  createCaptureSampler,
} from "../../monitoring/capture-line.js";
import { type CaptureReadStats, newReadStats, readCapture } from "../../monitoring/capture-read.js";
import type { CaptureRecord } from "../../monitoring/types.js";
import { formatInvocation } from "../../serving/invocations.js";
import { rowOf, SETOSA, tempDir, trainedModel, VIRGINICA } from "../helpers/model.js";

/** One line of a SageMaker DataCapture file, as the Model Monitor guide documents it. */
interface DataCaptureLine {
  captureData: {
    endpointInput?: DataCapturePayload;
    endpointOutput?: DataCapturePayload;
  };
  eventMetadata: { eventId: string; inferenceTime: string; inferenceId?: string };
  eventVersion: string;
}
interface DataCapturePayload {
  observedContentType: string;
  mode: "INPUT" | "OUTPUT";
  data: string;
  encoding: "CSV" | "JSON" | "BASE64";
}

const VERSION_IN_PATH = "0123456789abcdef";
const VERSICOLOR_ROW = [6.0, 2.9, 4.5, 1.5];

async function readAll(location: string, stats: CaptureReadStats = newReadStats(), extra = {}) {
  const records: CaptureRecord[] = [];
  for await (const record of readCapture(location, { stats, ...extra })) records.push(record);
  return records;
}

async function put(dir: string, path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(join(dir, path, ".."), { recursive: true });
  await writeFile(join(dir, path), text);
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("monitoring/capture-read.ts readCapture", () => {
  let predictor: Predictor;
  before(async () => {
    predictor = (await trainedModel()).predictor;
  });

  describe("SageMaker DataCapture files", () => {
    const answer = (
      rows: number[][],
      type: "application/json" | "text/csv" | "application/jsonlines",
    ) => formatInvocation(type, predictor.predictBatch(rows), predictor.modelVersion);

    it("reads CSV, JSON and BASE64 payloads, splits a batch into its rows and zips them with the answers", async () => {
      const dir = await tempDir("capture-sagemaker-");
      const csvOne: DataCaptureLine = {
        captureData: {
          endpointInput: {
            observedContentType: "text/csv",
            mode: "INPUT",
            data: rowOf(SETOSA).join(","),
            encoding: "CSV",
          },
          endpointOutput: {
            observedContentType: "application/json",
            mode: "OUTPUT",
            data: answer([rowOf(SETOSA)], "application/json"),
            encoding: "JSON",
          },
        },
        eventMetadata: { eventId: "e-csv", inferenceTime: "2026-12-02T15:01:02Z" },
        eventVersion: "0",
      };
      const batch = [rowOf(VIRGINICA), VERSICOLOR_ROW];
      const jsonBatch: DataCaptureLine = {
        captureData: {
          endpointInput: {
            observedContentType: "application/json",
            mode: "INPUT",
            data: JSON.stringify({ instances: batch }),
            encoding: "JSON",
          },
          // not listed as CSV or JSON in CaptureContentTypeHeader: SageMaker keeps it in base64
          endpointOutput: {
            observedContentType: "application/jsonlines",
            mode: "OUTPUT",
            data: b64(answer(batch, "application/jsonlines")),
            encoding: "BASE64",
          },
        },
        eventMetadata: { eventId: "e-batch", inferenceTime: "2026-12-02T15:30:00.123Z" },
        eventVersion: "0",
      };
      const base64Csv: DataCaptureLine = {
        captureData: {
          endpointInput: {
            observedContentType: "text/csv; charset=utf-8",
            mode: "INPUT",
            data: b64(`${rowOf(SETOSA).join(",")}\n${VERSICOLOR_ROW.join(",")}\n`),
            encoding: "BASE64",
          },
          endpointOutput: {
            observedContentType: "text/csv",
            mode: "OUTPUT",
            data: answer([rowOf(SETOSA), VERSICOLOR_ROW], "text/csv"),
            encoding: "CSV",
          },
        },
        eventMetadata: { eventId: "e-b64", inferenceTime: "2026-12-02T15:59:59Z" },
        eventVersion: "0",
      };
      const hour = "2026/12/02/15";
      await put(
        dir,
        `sagemaker/iris-ep-1a2b3c4/AllTraffic/${hour}/00-00-000-aaaa.jsonl`,
        `${JSON.stringify(csvOne)}\n`,
      );
      await put(
        dir,
        `sagemaker/${VERSION_IN_PATH}/iris-ep-1a2b3c4/AllTraffic/${hour}/00-00-000-bbbb.jsonl`,
        `${JSON.stringify(jsonBatch)}\n${JSON.stringify(base64Csv)}\n`,
      );
      const stats = newReadStats();
      // objects are read in key order; these are compared in time order
      const records = (await readAll(dir, stats)).sort((x, y) => x.time.localeCompare(y.time));
      assert.equal(stats.skipped, 0, JSON.stringify(stats.reasons));
      assert.deepEqual(
        records.map((r) => [r.event_id, r.features, r.model_version, r.time]),
        [
          ["e-csv", rowOf(SETOSA), predictor.modelVersion, "2026-12-02T15:01:02.000Z"],
          ["e-batch", rowOf(VIRGINICA), VERSION_IN_PATH, "2026-12-02T15:30:00.123Z"],
          ["e-batch", VERSICOLOR_ROW, VERSION_IN_PATH, "2026-12-02T15:30:00.123Z"],
          ["e-b64", rowOf(SETOSA), VERSION_IN_PATH, "2026-12-02T15:59:59.000Z"],
          ["e-b64", VERSICOLOR_ROW, VERSION_IN_PATH, "2026-12-02T15:59:59.000Z"],
        ],
      );
      const expected = predictor.predictBatch([rowOf(SETOSA), ...batch]);
      assert.deepEqual(
        records
          .slice(0, 3)
          .map(({ species, probabilities, is_iris }) => ({ species, probabilities, is_iris })),
        expected,
      );
      // a CSV answer is the species alone
      assert.deepEqual(
        records.slice(3).map((r) => [r.species, r.probabilities]),
        predictor.predictBatch([rowOf(SETOSA), VERSICOLOR_ROW]).map((p) => [p.species, {}]),
      );
      assert.equal(stats.partial, 2);
      assert.ok(records.every((r) => r.door === "sagemaker"));
    });

    it("skips, with a reason, a line with input only, rows and answers that differ, or an unknown encoding", async () => {
      const dir = await tempDir("capture-sagemaker-bad-");
      const input: DataCapturePayload = {
        observedContentType: "text/csv",
        mode: "INPUT",
        data: "5.1,3.5,1.4,0.2",
        encoding: "CSV",
      };
      const lines: DataCaptureLine[] = [
        {
          captureData: { endpointInput: input },
          eventMetadata: { eventId: "a", inferenceTime: "2026-12-02T15:00:00Z" },
          eventVersion: "0",
        },
        {
          captureData: {
            endpointInput: input,
            endpointOutput: {
              observedContentType: "text/csv",
              mode: "OUTPUT",
              data: "setosa\nsetosa\n",
              encoding: "CSV",
            },
          },
          eventMetadata: { eventId: "b", inferenceTime: "2026-12-02T15:00:00Z" },
          eventVersion: "0",
        },
        {
          captureData: {
            endpointInput: { ...input, encoding: "UTF16" as "CSV" },
            endpointOutput: {
              observedContentType: "text/csv",
              mode: "OUTPUT",
              data: "setosa\n",
              encoding: "CSV",
            },
          },
          eventMetadata: { eventId: "c", inferenceTime: "2026-12-02T15:00:00Z" },
          eventVersion: "0",
        },
      ];
      await put(dir, "ep/v/2026/12/02/15/x.jsonl", lines.map((l) => JSON.stringify(l)).join("\n"));
      const skips: string[] = [];
      const stats = newReadStats();
      assert.deepEqual(
        await readAll(dir, stats, { onSkip: (_where: string, why: string) => skips.push(why) }),
        [],
      );
      assert.equal(stats.skipped, 3);
      assert.match(skips[0] as string, /without both its input and its output/);
      assert.match(skips[1] as string, /1 rows and 2 answers/);
      assert.match(skips[2] as string, /unknown encoding "UTF16"/);
    });
  });

  it("reads no object whose hour is outside the window, and keeps records to it by their time", async () => {
    const dir = await tempDir("capture-window-");
    const line = (time: string) =>
      captureLine(
        captureEntry(
          captureRecords({
            door: "server",
            modelVersion: predictor.modelVersion,
            rows: [rowOf(SETOSA)],
            predictions: [predictor.predict(rowOf(SETOSA))],
            time: new Date(time),
          }),
        ),
      );
    await put(dir, "server/2026/12/01/10/a.jsonl", `${line("2026-12-01T10:05:00Z")}\n`);
    await put(
      dir,
      "server/2026/12/02/14/b.jsonl",
      `${line("2026-12-02T13:59:00Z")}\n${line("2026-12-02T14:10:00Z")}\n`,
    );
    await put(dir, "server/2026/12/02/16/c.jsonl", `${line("2026-12-02T16:10:00Z")}\n`);
    const stats = newReadStats();
    const records = await readAll(dir, stats, {
      since: new Date("2026-12-02T14:00:00Z"),
      until: new Date("2026-12-02T15:00:00Z"),
    });
    assert.deepEqual(
      records.map((r) => r.time),
      ["2026-12-02T14:10:00.000Z"],
    );
    assert.equal(stats.objects, 1, "the hours 10 and 16 are not read at all");
  });

  it("never throws on random bytes or lines, gzipped or not: it skips", async () => {
    const dir = await tempDir("capture-fuzz-");
    const good = captureLine(
      captureEntry(
        captureRecords({
          door: "lambda",
          modelVersion: "v",
          rows: [rowOf(SETOSA)],
          predictions: [predictor.predict(rowOf(SETOSA))],
        }),
      ),
    );
    const fragment = fc.oneof(
      fc.constant(good),
      fc.constant(good.slice(0, 40)),
      fc.constant('{"messageType":"DATA_MESSAGE","logEvents":[{"message":'),
      fc.constant('{"captureData":{"endpointInput":{"data":"AAAA","encoding":"BASE64"}}}'),
      fc.string(),
      fc.json(),
    );
    const object = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fragment, { maxLength: 8 }).map((parts) => Buffer.from(parts.join("\n"))),
      fc.array(fragment, { maxLength: 8 }).map((parts) => Buffer.from(parts.join(""))),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(object, fc.boolean(), fc.boolean(), async (bytes, zipped, truncated) => {
        let data: Uint8Array = zipped ? gzipSync(bytes) : bytes;
        if (truncated) data = data.subarray(0, Math.floor(data.length / 2));
        const path = `run-${run++}/2026/12/02/15/object`;
        await put(dir, path, data);
        const stats = newReadStats();
        const records = await readAll(join(dir, path, "../../../../.."), stats);
        for (const record of records) {
          assert.equal(record.features.length, 4);
          assert.ok(record.features.every(Number.isFinite));
          assert.equal(typeof record.is_iris, "boolean");
        }
        assert.equal(stats.records, records.length);
      }),
      { numRuns: 150 },
    );
  });
});

describe("monitoring/capture-line.ts", () => {
  it("samples per call at the rate, 0 never and 1 always", () => {
    let next = 0;
    const random = () => (next++ % 10) / 10;
    const tenth = createCaptureSampler(0.1, random);
    assert.equal(Array.from({ length: 100 }, tenth).filter(Boolean).length, 10);
    assert.ok(Array.from({ length: 50 }, createCaptureSampler(0)).every((s) => !s));
    assert.ok(Array.from({ length: 50 }, createCaptureSampler(1)).every((s) => s));
    assert.throws(() => createCaptureSampler(2), /from 0 \(off\) to 1/);
  });

  it("reads CAPTURE_SAMPLE: 0.1 by default, 0 off, a share from 0 to 1, and refuses anything else", () => {
    assert.equal(captureRateFromEnv({}), 0.1);
    assert.equal(captureRateFromEnv({ CAPTURE_SAMPLE: "" }), 0.1);
    assert.equal(captureRateFromEnv({ CAPTURE_SAMPLE: "0" }), 0);
    assert.equal(captureRateFromEnv({ CAPTURE_SAMPLE: "0.25" }), 0.25);
    assert.equal(captureRateFromEnv({ CAPTURE_SAMPLE: "1" }), 1);
    for (const bad of ["yes", "-1", "1.01", "1e-1", "Infinity", "10%", "0x1"])
      assert.throws(() => captureRateFromEnv({ CAPTURE_SAMPLE: bad }), /CAPTURE_SAMPLE: .*got/);
  });

  it("keeps at most CAPTURE_MAX_ROWS rows of a batch in one entry, and says how many it had", () => {
    const rows = Array.from({ length: CAPTURE_MAX_ROWS + 5 }, () => rowOf(SETOSA));
    const records = captureRecords({
      door: "cli",
      modelVersion: "v",
      rows,
      predictions: rows.map(() => ({
        species: "setosa",
        probabilities: { setosa: 1 },
        is_iris: true,
      })),
    });
    const { capture } = captureEntry(records, rows.length) as {
      capture: { rows: unknown[]; rows_total: number };
    };
    assert.equal(capture.rows.length, CAPTURE_MAX_ROWS);
    assert.equal(capture.rows_total, CAPTURE_MAX_ROWS + 5);
    // a CloudWatch log event is at most 256 KB
    assert.ok(Buffer.byteLength(captureLine({ capture })) < 256 * 1024);
  });
});
