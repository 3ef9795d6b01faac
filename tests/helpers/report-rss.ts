/**
 * Preloaded into a CLI child process by the tests (`--import ./tests/helpers/report-rss.ts`):
 * on exit, writes the process's peak resident set size in kilobytes to $IRIS_TEST_RSS_FILE.
 */
import { writeFileSync } from "node:fs";

const file = process.env.IRIS_TEST_RSS_FILE;
if (file) {
  process.on("exit", () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
