/**
 * `iris-mlops:monitor`: the stack's DriftMonitor (components/drift-monitor.ts, docs/monitoring.md).
 * On by default whenever the stack captures traffic (`iris-mlops:capture.sample` above 0): it
 * watches the stack's own TrafficCapture. With capture off there is nothing to watch and no monitor.
 */
import { z } from "zod";
import { rateSeconds } from "../components/drift-monitor-metrics.js";

const toNumber = (v: unknown) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
const toBoolean = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);

export const monitorSchema = z
  .object({
    enabled: z.preprocess(toBoolean, z.boolean()).default(true),
    /** The function's entry file. Default handlers/drift-monitor-lambda.ts. */
    handlerEntry: z.string().min(1).optional(),
    schedule: z
      .string()
      .default("rate(1 hour)")
      .superRefine((expression, ctx) => {
        try {
          rateSeconds(expression);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
        }
      }),
    windowHours: z.preprocess(toNumber, z.number().int().min(1).max(744)).default(24),
    reportsPrefix: z
      .string()
      .regex(/^(?:[^/]+\/)*$/, 'must be "" or a key prefix ending in /')
      .default("reports/"),
  })
  .strict();

export type MonitorConfig = z.infer<typeof monitorSchema>;
