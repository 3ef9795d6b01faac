/**
 * The Lambda bundle as LambdaInferenceApi deploys it (components/bundle.ts, handlers/lambda.ts):
 * under its size budget, and, run alone in a fresh process (no full zod loaded by anything else
 * in the process, as in Lambda), refusing malformed events with zod's English messages.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleHandler } from "../../components/bundle.js";
import { REPO_ROOT, tempDir } from "../helpers/trained.js";

/**
 * Minified bytes of index.js. The bundle was 117,765 B before the event schemas pulled in all of
 * zod 4 (568,245 B, docs/performance.md); 200 KB leaves room to grow and catches that again.
 */
const BUNDLE_BUDGET_BYTES = 200 * 1024;

/** Invoke the bundle's handler with each event in a fresh node process; the results, in order. */
function invokeAlone(bundle: string, events: unknown[]): { statusCode: number; body: string }[] {
  const program = `
    const { handler } = require(${JSON.stringify(bundle)});
    const events = JSON.parse(process.argv[1]);
    const context = { awsRequestId: "bundle-test", functionName: "iris-mlops-api" };
    (async () => {
      const results = [];
      for (const event of events) results.push(await handler(event, context));
      process.stdout.write("\\nRESULTS " + JSON.stringify(results) + "\\n");
    })();`;
  const run = spawnSync(process.execPath, ["-e", program, JSON.stringify(events)], {
    // no model to load: the init phase's load fails (logged), which a malformed event never reaches
    env: { PATH: process.env.PATH, POWERTOOLS_METRICS_DISABLED: "true" },
    encoding: "utf8",
    timeout: 30_000,
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULTS "));
  assert.ok(line, `${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice("RESULTS ".length));
}

describe("the Lambda bundle (components/bundle.ts of handlers/lambda.ts)", () => {
  let file: string;
  let bytes: number;
  before(async () => {
    const bundle = await bundleHandler(join(REPO_ROOT, "handlers", "lambda.ts"), {
      sourceMap: false,
    });
    bytes = Buffer.byteLength(bundle.code);
    file = join(tempDir("iris-bundle-"), "index.js");
    writeFileSync(file, bundle.code);
  });

  it(`stays under ${BUNDLE_BUDGET_BYTES} bytes minified`, () => {
    assert.ok(bytes < BUNDLE_BUDGET_BYTES, `the bundle is ${bytes} bytes`);
  });

  it("refuses malformed events with the messages of zod's English locale", () => {
    const v2 = {
      version: "2.0",
      rawPath: "/predict",
      requestContext: { http: { method: "POST" } },
    };
    const cases: [unknown, string][] = [
      [{ ...v2, body: 42 }, "body: Invalid input: expected string, received number"],
      [{ ...v2, rawPath: "" }, "rawPath: Too small: expected string to have >=1 characters"],
      [
        { ...v2, requestContext: {} },
        "requestContext.http: Invalid input: expected object, received undefined",
      ],
      [
        { ...v2, headers: { "content-type": 1 } },
        "headers.content-type: Invalid input: expected string, received number",
      ],
      [{ ...v2, headers: [] }, "headers: Invalid input: expected record, received array"],
      [
        { ...v2, isBase64Encoded: "false" },
        "isBase64Encoded: Invalid input: expected boolean, received string",
      ],
      [
        { httpMethod: "POST", path: "/predict" },
        "requestContext: Invalid input: expected object, received undefined",
      ],
      [
        { path: "/predict", requestContext: {} },
        "httpMethod: Invalid input: expected string, received undefined",
      ],
    ];
    const results = invokeAlone(
      file,
      cases.map(([event]) => event),
    );
    results.forEach((result, i) => {
      assert.equal(result.statusCode, 400, result.body);
      assert.deepEqual(JSON.parse(result.body), {
        error: {
          code: "bad_input",
          message: `not an API Gateway proxy event: ${cases[i]?.[1]}`,
        },
      });
    });
  });
});
