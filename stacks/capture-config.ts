/**
 * `iris-mlops:capture`: how much of the traffic the stack captures for drift (issue #11,
 * components/traffic-capture.ts). `pulumi config set --path iris-mlops:capture.sample 0.05`;
 * 0 turns capture off and creates nothing.
 */
import { z } from "zod";

// `pulumi config set --path` stores scalars as strings: read numerals as numbers
const numeral = (v: unknown) =>
  typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
const SAMPLE_RULE =
  "must be a number from 0 to 1: the share of requests captured (0.1 is 10%), 0 to turn capture off";

export const DEFAULT_CAPTURE = { sample: 0.1, expirationDays: 30 } as const;

export const captureSchema = z
  .object({
    sample: z
      .preprocess(numeral, z.number({ error: SAMPLE_RULE }).min(0, SAMPLE_RULE).max(1, SAMPLE_RULE))
      .default(DEFAULT_CAPTURE.sample),
    expirationDays: z
      .preprocess(numeral, z.number().int().min(1).max(3650))
      .default(DEFAULT_CAPTURE.expirationDays),
  })
  .strict();

export type CaptureConfig = z.infer<typeof captureSchema>;
