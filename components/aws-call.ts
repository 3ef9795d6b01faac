/**
 * How the dynamic providers call AWS (the Lambda rollout's deployment, the endpoint's rollout
 * check): the SDK's standard retry (throttling, 5xx and timed-out attempts, with backoff, 5
 * attempts) and per-attempt timeouts, and every call ended within its own limit and the caller's
 * deadline. The SDK's request timeout stops at the headers, so the call races an abort signal:
 * that ends it even where the SDK would keep reading a stalled body. Serialized by value with
 * the providers' closures, as every module of ours they import is.
 */

/** An SDK client's settings: each attempt connects within 5 s and has its headers within `requestTimeoutMs`. */
export const awsClientConfig = (region: string, requestTimeoutMs: number) => ({
  region,
  maxAttempts: 5,
  requestHandler: {
    connectionTimeout: 5_000,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  },
});

export interface CallLimits {
  /** Longest one call may take, its retries included. */
  readonly callMs: number;
  /** Shortest time a call is given, even at or past the deadline. */
  readonly floorMs: number;
}

/**
 * `call`, given an abort signal, ended by a TimeoutError ("no complete answer within N s") after
 * `limits.callMs`, or by `deadline` (epoch ms) if sooner, but never in under `limits.floorMs`.
 */
export async function callWithin<T>(
  deadline: number,
  limits: CallLimits,
  call: (options: { abortSignal: AbortSignal }) => Promise<T>,
): Promise<T> {
  // whole milliseconds: AbortSignal.timeout refuses a fraction, and a deadline may have one
  const budget = Math.ceil(
    Math.min(limits.callMs, Math.max(deadline - Date.now(), limits.floorMs)),
  );
  const abortSignal = AbortSignal.timeout(budget);
  const expired = new Promise<never>((_, reject) =>
    abortSignal.addEventListener("abort", () => {
      const err = new Error(`no complete answer within ${Math.ceil(budget / 1000)} s`);
      reject(Object.assign(err, { name: "TimeoutError" }));
    }),
  );
  return await Promise.race([call({ abortSignal }), expired]);
}
