/**
 * The model-loading budgets as invariants: the documented numbers are the code's, the S3 load
 * ends within its total whatever the dependency does, retries are bounded and only for what is
 * retryable, and the total leaves the Lambda time to answer 503 within its own timeout.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MODEL_CAPS } from "../../core/archive.js";
import { ModelFetchError, S3_BUDGET, withRetries } from "../../serving/model-retry.js";

const ROOT = join(__dirname, "..", "..");
const row = (docs: string, name: string) => {
  const line = docs.split("\n").find((l) => l.startsWith(`| ${name} |`));
  assert.ok(line, `docs/api.md has a Limits row "${name}"`);
  return line;
};

describe("model-loading budgets", () => {
  it("docs/api.md's Limits table says what the code does", () => {
    const docs = readFileSync(join(ROOT, "docs/api.md"), "utf8");
    assert.match(
      row(docs, "S3 GET of the model: attempts"),
      new RegExp(`\\| ${S3_BUDGET.attempts} at most`),
    );
    assert.match(
      row(docs, "S3 GET: first byte (connect + status + headers)"),
      new RegExp(`${S3_BUDGET.firstByteMs} ms`),
    );
    assert.match(row(docs, "S3 GET: whole answer"), new RegExp(`${S3_BUDGET.attemptMs} ms`));
    assert.match(
      row(docs, "S3 GET: backoff before retry n"),
      new RegExp(`${S3_BUDGET.backoffMs} ms`),
    );
    assert.match(row(docs, "S3: the whole model load"), new RegExp(`${S3_BUDGET.totalMs} ms`));
    const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
    assert.match(row(docs, "model.tar.gz size"), new RegExp(mib(MODEL_CAPS.compressedBytes)));
    const unpacked = row(docs, "model unpacked");
    assert.match(
      unpacked,
      new RegExp(
        `${mib(MODEL_CAPS.unpackedBytes)} in all, ${mib(MODEL_CAPS.entryBytes)} per file, ${MODEL_CAPS.entries} entries`,
      ),
    );
  });

  it("the whole load is at most half the Lambda's default timeout, and an attempt fits in it", () => {
    const component = readFileSync(join(ROOT, "components/lambda-inference-api.ts"), "utf8");
    const seconds = Number(/timeout: args\.timeout \?\? (\d+)/.exec(component)?.[1]);
    assert.ok(seconds > 0);
    assert.ok(S3_BUDGET.totalMs <= (seconds * 1000) / 2, `${S3_BUDGET.totalMs} ms vs ${seconds} s`);
    assert.ok(
      S3_BUDGET.firstByteMs < S3_BUDGET.attemptMs && S3_BUDGET.attemptMs < S3_BUDGET.totalMs,
    );
    assert.ok(MODEL_CAPS.entryBytes <= MODEL_CAPS.unpackedBytes);
    assert.ok(MODEL_CAPS.compressedBytes <= MODEL_CAPS.unpackedBytes);
  });

  it("ends within its total and its attempts, whatever each attempt does", async () => {
    const behaviour = fc.constantFrom("hang", "retryable", "final", "slow-ok");
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          attempts: fc.integer({ min: 1, max: 4 }),
          firstByteMs: fc.integer({ min: 5, max: 60 }),
          attemptMs: fc.integer({ min: 10, max: 120 }),
          backoffMs: fc.integer({ min: 0, max: 30 }),
          totalMs: fc.integer({ min: 20, max: 250 }),
        }),
        fc.array(behaviour, { minLength: 4, maxLength: 4 }),
        async (budget, plan) => {
          const outcomes: string[] = [];
          const started = performance.now();
          let calls = 0;
          const result = await withRetries(
            "s3://b/k",
            ({ signal }) => {
              const what = plan[calls++] as string;
              if (what === "retryable")
                return Promise.reject(new ModelFetchError("HTTP 503", true));
              if (what === "final") return Promise.reject(new ModelFetchError("HTTP 403", false));
              return new Promise((resolve, reject) => {
                if (what === "slow-ok") setTimeout(() => resolve("ok"), 1);
                signal.addEventListener("abort", () => reject(new Error("aborted")));
              });
            },
            (line) => outcomes.push(line.outcome),
            budget,
          ).catch((error: ModelFetchError) => error);
          const ms = performance.now() - started;
          assert.ok(ms <= budget.totalMs + 100, `${ms} ms for ${JSON.stringify(budget)}`);
          assert.ok(calls <= budget.attempts);
          assert.equal(outcomes.length, calls);
          const finalAt = plan.indexOf("final");
          if (finalAt >= 0 && finalAt < calls)
            assert.equal(calls, finalAt + 1, "no retry after a final error");
          assert.equal(result === "ok", outcomes.at(-1) === "ok");
        },
      ),
      { numRuns: 40 },
    );
  });
});
