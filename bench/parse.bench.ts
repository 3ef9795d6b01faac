/**
 * What reading a 6 MiB /invocations body costs, per form: JSON lines (objects and arrays), one
 * JSON body ({"instances": [...]}) and CSV, and what the checks before JSON.parse add to it.
 * Medians of repeated runs after a warm-up, in CPU ms (user + system: steadier than the wall
 * clock on a shared machine) and MiB/s, for comparing a parser change before and after.
 *
 *   node --import tsx bench/parse.bench.ts
 */
import { FEATURES } from "../core/features.js";
import { parseJsonLine } from "../core/lines.js";
import { parseJsonBody } from "../serving/errors.js";
import {
  CSV_TYPE,
  JSON_TYPE,
  JSONLINES_TYPE,
  type MediaType,
  parseInvocation,
} from "../serving/invocations.js";

const SIZE = 6 * 1024 * 1024;
const SAMPLES = 15;
const WARMUP = 3;

/** Lines made from `line(i)` until the body is just under SIZE bytes. */
function body(line: (i: number) => string, separator = "\n"): string {
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; ; i++) {
    const next = line(i);
    if (bytes + next.length + separator.length > SIZE) break;
    parts.push(next);
    bytes += next.length + separator.length;
  }
  return parts.join(separator);
}

const values = (i: number) => [5 + (i % 30) / 10, 3.1, 1.4 + (i % 50) / 10, 0.2];
const object = (i: number) =>
  JSON.stringify(Object.fromEntries(FEATURES.map((name, f) => [name, values(i)[f]])));

const objectLines = body(object);
const jsonBody = `{"instances":[${body(object, ",")}]}`;
const lines = objectLines.split("\n");

/** name, what is timed, the body's size; each returns a row count so nothing is optimised away. */
const cases: [string, () => number, number][] = [
  ...(
    [
      ["JSON lines, objects", JSONLINES_TYPE, objectLines],
      ["JSON lines, arrays", JSONLINES_TYPE, body((i) => JSON.stringify(values(i)))],
      ["JSON body, instances of objects", JSON_TYPE, jsonBody],
      ["CSV", CSV_TYPE, body((i) => values(i).join(","))],
    ] as [string, MediaType, string][]
  ).map(([name, type, text]): [string, () => number, number] => [
    `parseInvocation: ${name}`,
    () => parseInvocation(type, text).length,
    text.length,
  ]),
  // what the checks before JSON.parse cost: the same text with and without them
  [
    "JSON.parse alone: the JSON body",
    () => (JSON.parse(jsonBody).instances as []).length,
    jsonBody.length,
  ],
  [
    "parseJsonBody: the JSON body",
    () => (parseJsonBody(jsonBody) as { instances: [] }).instances.length,
    jsonBody.length,
  ],
  [
    "JSON.parse alone: each JSON line",
    () => lines.filter((l) => JSON.parse(l)).length,
    objectLines.length,
  ],
  [
    "parseJsonLine: each JSON line",
    () => lines.filter((l) => parseJsonLine(l)).length,
    objectLines.length,
  ],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

for (const [name, run, bytes] of cases) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const started = process.cpuUsage();
    rows = run();
    const { user, system } = process.cpuUsage(started);
    const ms = (user + system) / 1000;
    if (i >= WARMUP) times.push(ms);
  }
  const ms = median(times);
  const mb = bytes / 1024 / 1024;
  console.log(
    `${name.padEnd(52)} ${mb.toFixed(2)} MiB ${String(rows).padStart(7)} rows ${ms.toFixed(1).padStart(7)} ms ${(mb / (ms / 1000)).toFixed(0).padStart(4)} MiB/s`,
  );
}
