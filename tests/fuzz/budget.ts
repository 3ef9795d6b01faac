/**
 * What every fuzz property asserts about one call of a parser: it returns or throws one of the
 * project's input errors, within a time and a memory budget. Run sizes come from the
 * environment: FUZZ_RUNS (cases per property) or FUZZ_SECONDS (time per property), so `npm test`
 * runs a few thousand cases and `npm run fuzz` as long as it is given.
 */
import assert from "node:assert/strict";
import type fc from "fast-check";

/**
 * Per call, for an input up to 64 KiB; a larger one (the generators go to ~100 KiB, a 10,001-row
 * batch) gets the same budget per 64 KiB, so only work that grows faster than the input fails.
 * Code instrumented for coverage (c8) runs slower, and gets three times as long. 200 ms is four
 * times the slowest linear call seen on a 2-core machine at load 10 (a GC pause lands inside a
 * call), and far under what super-linear work takes at these sizes: the quadratic CSV regex took
 * 494 ms on 20,000 digits, seconds on 64 KiB.
 */
export const TIME_BUDGET_MS = 200;
const BUDGET_BYTES = 64 * 1024;
const slowdown = process.env.NODE_V8_COVERAGE ? 3 : 1;
const timeBudget = (inputBytes: number) =>
  TIME_BUDGET_MS * slowdown * Math.max(1, inputBytes / BUDGET_BYTES);
/** Per call, heap growth: far above what a capped input needs, far below a blow-up. */
export const HEAP_BUDGET_BYTES = 64 * 1024 * 1024;

const seconds = Number(process.env.FUZZ_SECONDS ?? 0);
const runs = Number(process.env.FUZZ_RUNS ?? 0);

/** fast-check parameters for a property; `defaultRuns` when the environment says nothing. */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  if (seconds > 0)
    return {
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: seconds * 1000,
      markInterruptAsFailure: false,
    };
  return { numRuns: runs > 0 ? runs : defaultRuns };
}

/** The mocha timeout a fuzz suite needs for the run size asked. */
export const fuzzTimeout = () => (seconds > 0 ? seconds * 1000 * 20 + 120_000 : 300_000);

type ErrorClass = abstract new (...args: never[]) => Error;

export type Outcome<T> = { value: T; error?: undefined } | { value?: undefined; error: Error };

async function measure<T>(call: () => T | Promise<T>) {
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { value: await call() };
  } catch (error) {
    outcome = { error: error as Error };
  }
  const ms = performance.now() - started;
  return { outcome, ms, heap: process.memoryUsage().heapUsed - heap };
}

/**
 * Call `call` and check the budgets and what it threw. A call over a budget is measured twice
 * more and judged by its best run: a super-linear input is slow every time, a descheduled
 * process or a GC pause on a busy machine is not.
 */
export async function withinBudget<T>(
  what: string,
  allowed: readonly ErrorClass[],
  call: () => T | Promise<T>,
  inputBytes = 0,
): Promise<Outcome<T>> {
  const budget = timeBudget(inputBytes);
  let best = await measure(call);
  for (let retry = 0; retry < 2 && (best.ms > budget || best.heap > HEAP_BUDGET_BYTES); retry++) {
    const again = await measure(call);
    best = { ...again, ms: Math.min(best.ms, again.ms), heap: Math.min(best.heap, again.heap) };
  }
  const { outcome } = best;
  if (outcome.error && !allowed.some((type) => outcome.error instanceof type)) {
    assert.fail(`${what} threw ${outcome.error.stack ?? String(outcome.error)}`);
  }
  assert.ok(
    best.ms <= budget,
    `${what} took ${best.ms.toFixed(1)} ms (budget ${budget.toFixed(0)})`,
  );
  assert.ok(best.heap <= HEAP_BUDGET_BYTES, `${what} grew the heap by ${best.heap} bytes`);
  return outcome;
}

/** A short description of an input for a failure message. */
export const shown = (input: unknown) => {
  const text = typeof input === "string" ? input : (JSON.stringify(input) ?? String(input));
  return text.length > 200
    ? `${JSON.stringify(text.slice(0, 200))}… (${text.length} chars)`
    : JSON.stringify(text);
};
