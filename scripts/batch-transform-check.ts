/**
 * `node --import tsx scripts/batch-transform-check.ts <base URL>`: drive a running serving
 * container as SageMaker Batch Transform does (tests/helpers/batch-transform.ts: Line split,
 * MultiRecord mini-batches, several in flight, Line assembly) with a headered CSV file and a
 * JSON-lines file, and check that every output line is the answer to its data row. Prints one
 * JSON line (`requests`, `rows`, `miniBatches`) and exits 0, or names the first difference and
 * exits 1. scripts/container-test.sh runs it against the image.
 */
import { rowsText } from "../bench/lib/rows.js";
import {
  checkAligned,
  runTransform,
  sentRequests,
  type TransformSettings,
} from "../tests/helpers/batch-transform.js";

async function main(baseUrl: string): Promise<void> {
  const base = { baseUrl, maxPayloadBytes: 4096, concurrency: 4, timeoutMs: 20_000 };
  const runs: [TransformSettings, string, boolean][] = [
    [{ ...base, contentType: "text/csv", accept: "text/csv" }, rowsText(1500, "csv", 21), true],
    [
      { ...base, contentType: "application/jsonlines", accept: "application/jsonlines" },
      rowsText(800, "jsonl", 22),
      false,
    ],
  ];
  let rows = 0;
  let miniBatches = 0;
  for (const [settings, input, header] of runs) {
    const run = await runTransform(settings, input);
    miniBatches += run.miniBatches.length;
    rows += await checkAligned(settings, input, run.output, { header });
  }
  process.stdout.write(`${JSON.stringify({ requests: sentRequests(), rows, miniBatches })}\n`);
}

main(process.argv[2] ?? "http://127.0.0.1:8080").catch((error: Error) => {
  process.stderr.write(`batch transform check: ${error.message}\n`);
  process.exitCode = 1;
});
