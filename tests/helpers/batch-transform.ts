/**
 * A stand-in for SageMaker Batch Transform's data plane, driving a serving container over HTTP
 * as a transform job with `SplitType: Line`, `BatchStrategy: MultiRecord` and
 * `AssembleWith: Line` does: an input object is split at its newlines into mini-batches of
 * whole lines, each at most `maxPayloadBytes` (MaxPayloadInMB) and packed with as many lines as
 * fit; up to `concurrency` (MaxConcurrentTransforms) of them are in flight at once, each a
 * `POST /invocations` with the job's ContentType and Accept; the answers are joined in input
 * order, a newline after each that lacks one. A file's header line is a line like any other,
 * so it reaches the container in the first mini-batch only.
 *
 * `checkAligned` then asks the container for each data row alone and checks that line n of the
 * joined output is the answer to data row n: what a job's user relies on to join input and
 * output. Used by tests/server/batch-transform.test.ts (against the local app) and
 * scripts/container-test.sh (against the image, through scripts/batch-transform-check.ts).
 */
import { request } from "node:http";

export interface TransformSettings {
  /** The container, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly contentType: "text/csv" | "application/jsonlines";
  readonly accept: "text/csv" | "application/jsonlines";
  /** MaxPayloadInMB in bytes: no mini-batch is larger. */
  readonly maxPayloadBytes: number;
  /** MaxConcurrentTransforms: mini-batches in flight at once. */
  readonly concurrency: number;
  /** Each request's limit. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface TransformRun {
  /** The joined output, as the `.out` object would hold it. */
  readonly output: string;
  /** The bodies sent, in input order. */
  readonly miniBatches: readonly string[];
  /** Most requests in flight at once. */
  readonly peakInFlight: number;
}

/** An answer other than 200: Batch Transform fails the object (and the job) on it. */
export class MiniBatchFailed extends Error {
  constructor(
    readonly index: number,
    readonly status: number,
    readonly body: string,
  ) {
    super(`mini-batch ${index} answered ${status}: ${body.slice(0, 500)}`);
  }
}

/**
 * The mini-batches of `input`: whole lines (each with its newline), packed while they fit in
 * `maxBytes`; a line longer than that alone is refused, as Batch Transform fails such a record.
 */
export function splitMiniBatches(input: string, maxBytes: number): string[] {
  const lines = input.split(/(?<=\n)/).filter((line) => line !== "");
  const batches: string[] = [];
  let current = "";
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line);
    if (bytes > maxBytes) throw new Error(`a line of ${bytes} bytes exceeds MaxPayload`);
    if (size + bytes > maxBytes) {
      batches.push(current);
      current = "";
      size = 0;
    }
    current += line;
    size += bytes;
  }
  if (current !== "") batches.push(current);
  return batches;
}

let sent = 0;
/** POST /invocations sent so far by this process (the container test counts what the server logs). */
export const sentRequests = () => sent;

/** One POST /invocations: its status and body. */
export function invoke(
  settings: TransformSettings,
  body: string,
): Promise<{ status: number; body: string }> {
  const url = new URL("/invocations", settings.baseUrl);
  sent++;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": settings.contentType,
          accept: settings.accept,
          "content-length": Buffer.byteLength(body),
        },
        signal: AbortSignal.timeout(settings.timeoutMs ?? 30_000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Run `input` through the container as one transform job's object. */
export async function runTransform(
  settings: TransformSettings,
  input: string,
): Promise<TransformRun> {
  const miniBatches = splitMiniBatches(input, settings.maxPayloadBytes);
  const answers: string[] = new Array(miniBatches.length);
  let next = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const worker = async () => {
    while (next < miniBatches.length) {
      const index = next++;
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      try {
        const answer = await invoke(settings, miniBatches[index] as string);
        if (answer.status !== 200) throw new MiniBatchFailed(index, answer.status, answer.body);
        answers[index] = answer.body;
      } finally {
        inFlight--;
      }
    }
  };
  const workers = Math.max(1, Math.min(settings.concurrency, miniBatches.length));
  await Promise.all(Array.from({ length: workers }, worker));
  // AssembleWith Line: each answer, and a newline where it does not end in one
  const output = answers.map((a) => (a === "" || a.endsWith("\n") ? a : `${a}\n`)).join("");
  return { output, miniBatches, peakInFlight };
}

/**
 * Check that `output` holds one line per data row of `input` (its lines but a header), line n
 * being the container's answer to data row n sent alone. Throws naming the first difference.
 */
export async function checkAligned(
  settings: TransformSettings,
  input: string,
  output: string,
  { header = false }: { header?: boolean } = {},
): Promise<number> {
  const rows = input.split("\n").filter((line) => line.trim() !== "");
  const data = header ? rows.slice(1) : rows;
  const lines = output.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length !== data.length) {
    throw new Error(`${data.length} data rows gave ${lines.length} output lines`);
  }
  // every distinct row once: the answers to a row are the same wherever it is
  const alone = new Map<string, string>();
  for (const [n, row] of data.entries()) {
    let answer = alone.get(row);
    if (answer === undefined) {
      const res = await invoke(settings, `${row}\n`);
      if (res.status !== 200) throw new MiniBatchFailed(n, res.status, res.body);
      answer = res.body.replace(/\n$/, "");
      alone.set(row, answer);
    }
    if (lines[n] !== answer) {
      throw new Error(
        `output line ${n + 1} is ${JSON.stringify(lines[n])}, but data row ${n + 1} (${row}) alone answers ${JSON.stringify(answer)}`,
      );
    }
  }
  return data.length;
}
