/**
 * Generated traffic written as capture files, the layout the one reader
 * (monitoring/capture-read.ts) walks: <out>/server/yyyy/mm/dd/hh/<name>.jsonl, one JSON line
 * per request as the local server writes them, `{"message":"capture","capture":{"rows":[...]}}`
 * (the shape of capture-line.ts's captureEntry, one request a line).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CaptureRecord } from "./types.js";

/** The capture line of one request (the capture owner's captureEntry gives the same payload). */
export const trafficLine = (rows: CaptureRecord[]): string =>
  `${JSON.stringify({ level: "INFO", message: "capture", capture: { rows } })}\n`;

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
    lines.push(trafficLine([record]));
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
