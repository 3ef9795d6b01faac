/**
 * Capture what the code under test writes to process.stdout and process.stderr (Powertools
 * writes INFO logs and EMF metric lines to stdout, WARN and ERROR logs to stderr; Lambda sends
 * both to CloudWatch), and read it back as JSON log records and EMF metrics.
 */

export interface EmfMetric {
  name: string;
  unit: string;
  value: unknown;
  namespace: string;
  /** The values of the first dimension set. */
  dimensions: Record<string, unknown>;
  /** Every dimension set the metric is published under, each with its values. */
  dimensionSets: Record<string, unknown>[];
}

export interface Captured {
  text: string;
  /** Every line that is a JSON object, in the order written. */
  records: Record<string, unknown>[];
  /** Lines that are not JSON objects (there should be none). */
  other: string[];
  /** The records that are not EMF: log lines. */
  logs: Record<string, unknown>[];
  /** Every metric of every EMF record. */
  metrics: EmfMetric[];
}

type Write = typeof process.stdout.write;

let capturing = false;

function replaceWrites(sink: (text: string) => void): () => void {
  // nested captures would restore in the wrong order and swallow the reporter's output for good
  if (capturing) throw new Error("output is already being captured");
  capturing = true;
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    sink(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
  for (const stream of streams) stream.write = write as Write;
  return () => {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as Write;
    });
    capturing = false;
  };
}

/** Run `fn` with stdout and stderr captured (nothing reaches the terminal meanwhile). */
export async function captureOutput<T>(fn: () => Promise<T> | T): Promise<[T, Captured]> {
  const chunks: string[] = [];
  const restore = replaceWrites((text) => chunks.push(text));
  try {
    const result = await fn();
    return [result, parseOutput(chunks.join(""))];
  } finally {
    restore();
  }
}

/** Run `fn` with stdout and stderr thrown away (thousands of invocations whose logs don't matter). */
export async function discardOutput<T>(fn: () => Promise<T> | T): Promise<T> {
  const restore = replaceWrites(() => undefined);
  try {
    return await fn();
  } finally {
    restore();
  }
}

export function parseOutput(text: string): Captured {
  const records: Record<string, unknown>[] = [];
  const other: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        records.push(value as Record<string, unknown>);
      else other.push(line);
    } catch {
      other.push(line);
    }
  }
  const logs = records.filter((r) => !("_aws" in r));
  const metrics = records.filter((r) => "_aws" in r).flatMap(emfMetrics);
  return { text, records, other, logs, metrics };
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

function emfMetrics(record: Record<string, unknown>): EmfMetric[] {
  const aws = record._aws as { CloudWatchMetrics: EmfDirective[] };
  return aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Metrics.map((metric) => ({
      name: metric.Name,
      unit: metric.Unit,
      value: record[metric.Name],
      namespace: directive.Namespace,
      dimensions: Object.fromEntries(
        (directive.Dimensions[0] ?? []).map((name) => [name, record[name]]),
      ),
      dimensionSets: directive.Dimensions.map((set) =>
        Object.fromEntries(set.map((name) => [name, record[name]])),
      ),
    })),
  );
}

/** The metrics of one name. */
export const metricsNamed = (captured: Captured, name: string): EmfMetric[] =>
  captured.metrics.filter((m) => m.name === name);

/** The log records with this message. */
export const logsSaying = (captured: Captured, message: string): Record<string, unknown>[] =>
  captured.logs.filter((r) => r.message === message);
