/**
 * `iris-mlops:monitor`: the stack's DriftMonitor (components/drift-monitor.ts, docs/monitoring.md).
 * On by default wherever there is capture to watch. FOR THE LEAD: `capture` is the stand-in for
 * the capture config (`iris-mlops:capture.sample`, another branch): once TrafficCapture is in the
 * stack, the program passes its bucket and prefix instead and this key goes (monitor.enabled then
 * defaults to capture being on).
 */
import { z } from "zod";
import { rateSeconds } from "../components/drift-monitor-metrics.js";
import { splitS3Uri } from "../core/s3-uri.js";

const toNumber = (v: unknown) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
const toBoolean = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);

/** `s3://bucket/prefix/`: the prefix "" or ending in "/". */
const isS3Prefix = (uri: string): boolean => {
  const split = splitS3Uri(uri);
  if (!split) return false;
  const prefix = split.path;
  return (
    prefix === "" || (prefix.endsWith("/") && !prefix.startsWith("/") && !prefix.includes("//"))
  );
};

export const monitorSchema = z
  .object({
    enabled: z.preprocess(toBoolean, z.boolean()).default(true),
    /** The function's entry file. Default handlers/drift-monitor-lambda.ts. */
    handlerEntry: z.string().min(1).optional(),
    /** Where the capture is, until the stack's own capture is wired (see above). */
    capture: z
      .string()
      .refine(isS3Prefix, "must be s3://<bucket>/<prefix>/ (the prefix empty or ending in /)")
      .optional(),
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

/** The capture location of `monitor.capture`, split. */
export function captureLocation(uri: string): { bucket: string; prefix: string } {
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  return { bucket: rest.slice(0, slash), prefix: rest.slice(slash + 1) };
}
