/**
 * `iris-mlops traffic`: seeded test traffic written as capture files (monitoring/traffic.ts,
 * monitoring/traffic-files.ts), so that `iris-mlops drift` can be shown each verdict. The
 * requests end now, one a minute on average, so a `--since` of a few days covers them.
 */
import { type Command, InvalidArgumentError } from "commander";
import { generateTraffic, MIXES, type Mix, TRAFFIC_SPACING_MS } from "../monitoring/traffic.js";
import { writeTrafficFiles } from "../monitoring/traffic-files.js";
import { addModelOptions, loadModelForCli, type ModelFlags } from "./model-options.js";
import { integer } from "./options.js";

/** Most rows one run writes: they are held in memory before writing. */
export const MAX_TRAFFIC_ROWS = 1_000_000;

const mix = (value: string): Mix => {
  if (!(MIXES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${MIXES.join(", ")}`);
  return value as Mix;
};

const rows = (value: string): number => {
  const n = integer(value);
  if (n < 1 || n > MAX_TRAFFIC_ROWS)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_TRAFFIC_ROWS}`);
  return n;
};

export function addTrafficCommand(program: Command): void {
  const command = program
    .command("traffic")
    .description(
      "Write seeded test traffic as capture files for `drift`: iris (no drift), shifted (measurements 10% long) or not-iris (40% random rows).",
    )
    .requiredOption("--mix <mix>", `the traffic: ${MIXES.join(", ")}`, mix)
    .option("--rows <n>", "rows (one request each)", rows, 1000)
    .option("--seed <n>", "the random seed: the same seed writes the same rows", integer, 1)
    .requiredOption("--out <dir>", "the capture folder to write into")
    .option(
      "--model <path>",
      "answer each row with this model (a folder, model.tar.gz or s3://bucket/key); without it, the rows carry the drawn flower's species",
    );
  addModelOptions(command).action(
    async (
      flags: ModelFlags & { mix: Mix; rows: number; seed: number; out: string; model?: string },
    ) => {
      const predictor = flags.model ? await loadModelForCli(flags.model, flags) : undefined;
      const start = new Date(Date.now() - flags.rows * TRAFFIC_SPACING_MS);
      const records = generateTraffic({
        mix: flags.mix,
        rows: flags.rows,
        seed: flags.seed,
        modelVersion: predictor?.modelVersion ?? "traffic",
        start,
        predictor,
      });
      const files = await writeTrafficFiles(
        records,
        flags.out,
        `traffic-${flags.mix}-${flags.seed}`,
      );
      process.stderr.write(
        `${records.length} ${flags.mix} rows in ${files.length} file(s) under ${flags.out}\n`,
      );
    },
  );
}
