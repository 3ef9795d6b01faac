/**
 * The SageMaker container's per-version metrics: one metric filter per field of the
 * "invocations summary" line on the endpoint's log group, and their patterns read as CloudWatch
 * reads a JSON filter (the subset they use: `$.field = "text"` and `$.field = *`, joined by &&)
 * against lines of the server log's pino shape.
 */
import { strict as assert } from "node:assert";
import { SageMakerEndpoint } from "../../components/sagemaker-endpoint.js";
import {
  SUMMARY_MESSAGE,
  summaryPattern,
  VERSION_METRICS,
} from "../../components/sagemaker-version-metrics.js";
import { ACCOUNT, REGION, settle, useMocks } from "./harness.js";

const FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";

/**
 * Whether a JSON log line matches a pattern of the subset above. Anything else in the pattern is
 * an error, so a pattern outside what this reads fails the test instead of passing by accident.
 */
function matches(pattern: string, line: string): boolean {
  const body = /^\{ (.*) \}$/.exec(pattern)?.[1];
  if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  return body.split(" && ").every((clause) => {
    const m = /^\(\$\.([A-Za-z]+) = (\*|"[^"]*")\)$/.exec(clause);
    if (!m) throw new Error(`a clause this reader does not know: ${clause}`);
    const [, field, wanted] = m as unknown as [string, string, string];
    const value = event[field];
    if (wanted === "*") return value !== undefined && value !== null;
    return value === JSON.parse(wanted);
  });
}

const summary = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    level: 30,
    time: 1767225600000,
    pid: 1,
    hostname: "model-container",
    msg: SUMMARY_MESSAGE,
    modelVersion: "0123456789abcdef",
    invocations: 42,
    clientErrors: 1,
    serverErrors: 0,
    latencyMsSum: 12.5,
    latencyMsMax: 1.25,
    ...fields,
  });

describe("SageMakerEndpoint per-version metrics", () => {
  it("turns each field of the summary into a metric by ModelVersion, in the endpoint's own namespace", async () => {
    const mocks = await useMocks({}, "prod");
    const sm = new SageMakerEndpoint("sagemaker", {
      imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/image@sha256:${"b".repeat(64)}`,
      repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/image`,
      modelBucketName: "models-bucket-1234567",
      modelKey: "models/0123456789abcdef/model.tar.gz",
      modelManifestSha256: "c".repeat(64),
    });
    await settle(mocks, [sm.endpointName]);
    const filters = mocks.all(FILTER).map((r) => r.inputs);
    assert.deepEqual(
      filters.map((f) => [f.logGroupName, f.metricTransformation]),
      VERSION_METRICS.map(({ metric, field, unit }) => [
        "/aws/sagemaker/Endpoints/iris-mlops-prod-sagemaker",
        {
          name: metric,
          namespace: "IrisMlops/SageMaker/iris-mlops-prod-sagemaker",
          value: `$.${field}`,
          unit,
          dimensions: { ModelVersion: "$.modelVersion" },
        },
      ]),
    );
    assert.deepEqual(
      VERSION_METRICS.map((m) => m.field),
      ["invocations", "clientErrors", "serverErrors", "latencyMsSum", "latencyMsMax"],
    );
  });

  it("each pattern matches the summary line and nothing else the server logs", () => {
    for (const { field } of VERSION_METRICS) {
      const pattern = summaryPattern(field);
      assert.ok(matches(pattern, summary()), pattern);
      // a request's log line, another message, a summary without the version or the field
      assert.ok(
        !matches(pattern, JSON.stringify({ level: 30, msg: "request completed", status: 200 })),
      );
      assert.ok(!matches(pattern, summary({ msg: "model loaded" })));
      assert.ok(!matches(pattern, summary({ modelVersion: undefined })));
      assert.ok(!matches(pattern, summary({ [field]: undefined })));
      assert.ok(!matches(pattern, "not json at all"));
    }
  });
});
