/**
 * Generated traffic written as capture files, the layout the one reader
 * (monitoring/capture-read.ts) walks: <out>/server/yyyy/mm/dd/hh/<name>.jsonl, one JSON line
 * per request, written by capture-line.ts as the local server writes its own.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { captureEntry, captureLine } from "./capture-line.js";
import type { CaptureRecord } from "./types.js";

/** The hour folder of a time: yyyy/mm/dd/hh, UTC. */
export const hourPath = (time: string): string => {
  const iso = new Date(time).toISOString();
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13)].join("/");
};

/** Write the records, one request each, into one file per hour (replaced if there); returns the files written. */
export async function writeTrafficFiles(
  records: readonly CaptureRecord[],
  out: string,
  name: string,
): Promise<string[]> {
  const byHour = new Map<string, string[]>();
  for (const record of records) {
    const hour = hourPath(record.time);
    const lines = byHour.get(hour) ?? [];
    lines.push(`${captureLine(captureEntry([record]), new Date(record.time))}\n`);
    byHour.set(hour, lines);
  }
  const files: string[] = [];
  for (const [hour, lines] of byHour) {
    const dir = join(out, "server", hour);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name}.jsonl`);
    await writeFile(file, lines.join(""));
    files.push(file);
  }
  return files;
}
