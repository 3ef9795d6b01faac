/**
 * The floor of bench/predict.bench.ts: reads the CSV file and parses every number, nothing
 * else (no checks, no prediction, no output but the count): what reading the file costs.
 *
 *   node bench/predict/bare-reader.mjs ROWS.csv
 */
import { readFileSync } from "node:fs";

let rows = 0;
let sum = 0;
for (const line of readFileSync(process.argv[2], "latin1").split("\n")) {
  const fields = line.split(",");
  if (fields.length !== 4) continue;
  let row = 0;
  for (const field of fields) row += Number(field);
  // NaN for a header
  if (!Number.isNaN(row)) {
    sum += row;
    rows++;
  }
}
process.stdout.write(`${rows} rows (${sum > 0 ? "read" : "empty"})\n`);
