/**
 * TrafficCapture under mocks: the bucket's settings, the Firehose streams' processors and
 * prefixes, the roles (exact statements, real actions, evaluated: Firehose may write under the
 * prefix and nowhere else), the subscriptions of both doors' log groups, and DataCaptureConfig on
 * instance endpoints only.
 */
import { strict as assert } from "node:assert";
import { LambdaInferenceApi } from "../../components/lambda-inference-api.js";
import { SageMakerEndpoint } from "../../components/sagemaker-endpoint.js";
import {
  CAPTURE_FILTER_PATTERN,
  samplingPercentage,
  TrafficCapture,
  type TrafficCaptureArgs,
} from "../../components/traffic-capture.js";
import { ArgumentError } from "../../components/validate.js";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import { checkDocument } from "../helpers/iam-catalogue.js";
import { evaluate } from "../helpers/iam-evaluator.js";
import type { PolicyDocument } from "../helpers/iam-policy.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  LAMBDA_MODEL,
  policyOf,
  REGION,
  type Recorder,
  type Registered,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SAGEMAKER = {
  imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/iris@sha256:${"b".repeat(64)}`,
  repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris`,
  modelBucketName: LAMBDA_MODEL.modelBucketName,
  modelKey: LAMBDA_MODEL.modelKey,
  modelManifestSha256: "c".repeat(64),
  alarms: false,
};

async function build(args: TrafficCaptureArgs = {}) {
  const mocks = await useMocks({}, "prod");
  const capture = new TrafficCapture("capture", args);
  await settle(mocks, [capture.captureS3Uri, capture.streamArn, capture.logsRole.arn]);
  return { mocks, capture };
}

const roleNamed = (mocks: Recorder, name: string) => mocks.one("aws:iam/role:Role", name);
const policyNamed = (mocks: Recorder, name: string) =>
  policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy", name));
const streamNamed = (mocks: Recorder, source: string) =>
  mocks.one(STREAM, `capture-${source === "lambda" ? "lambda" : "serverless"}`);

describe("TrafficCapture", () => {
  describe("with the defaults", () => {
    let mocks: Recorder;
    let capture: TrafficCapture;
    let bucket: string;
    before(async () => {
      ({ mocks, capture } = await build());
      bucket = mocks.one("aws:s3/bucket:Bucket").state.bucket;
    });

    it("keeps the capture in a private, SSE-S3-encrypted, TLS-only bucket that expires it after 30 days", async () => {
      assert.match(bucket, /^iris-mlops-prod-capture-/);
      const block = mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
      for (const flag of [
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ]) {
        assert.equal(block[flag], true, flag);
      }
      const sse = mocks.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs;
      assert.deepEqual(sse.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: "AES256" });
      const tls = policyOf(mocks.one("aws:s3/bucketPolicy:BucketPolicy"));
      assert.deepEqual(tls.Statement[0]?.Condition, { Bool: { "aws:SecureTransport": "false" } });
      const lifecycle = mocks.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      ).inputs;
      assert.deepEqual(lifecycle.rules, [
        {
          id: "expire-capture",
          status: "Enabled",
          filter: { prefix: "capture/" },
          expiration: { days: 30 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ]);
      // Firehose and SageMaker write each object once, under a key of its own
      assert.equal(mocks.all("aws:s3/bucketVersioning:BucketVersioning").length, 0);
      assert.equal(await value(capture.captureS3Uri), `s3://${bucket}/capture`);
    });

    it("has one stream per log source, unzipping and unwrapping CloudWatch's records into JSON lines under its date-partitioned prefix", async () => {
      for (const source of ["lambda", "sagemaker-serverless"]) {
        const stream = streamNamed(mocks, source).inputs;
        assert.equal(stream.destination, "extended_s3");
        assert.deepEqual(stream.serverSideEncryption, { enabled: true, keyType: "AWS_OWNED_CMK" });
        const s3 = stream.extendedS3Configuration;
        assert.equal(s3.bucketArn, `arn:aws:s3:::${bucket}`);
        assert.equal(s3.roleArn, roleNamed(mocks, "capture-firehose-role").state.arn);
        assert.equal(s3.prefix, `capture/${source}/!{timestamp:yyyy/MM/dd/HH}/`);
        assert.equal(
          s3.errorOutputPrefix,
          `capture/errors/${source}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
        );
        assert.equal(s3.bufferingInterval, 300);
        assert.equal(s3.bufferingSize, 5);
        assert.equal(s3.compressionFormat, "GZIP");
        assert.deepEqual(s3.processingConfiguration, {
          enabled: true,
          processors: [
            {
              type: "Decompression",
              parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }],
            },
            {
              type: "CloudWatchLogProcessing",
              parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }],
            },
            { type: "AppendDelimiterToRecord" },
          ],
        });
      }
      assert.equal(await value(capture.streamArn), streamNamed(mocks, "lambda").state.arn);
    });

    it("lets Firehose put objects under the prefix and nowhere else, with real actions only", async () => {
      const doc = policyNamed(mocks, "capture-firehose-policy");
      assert.deepEqual(doc.Statement, [
        {
          Sid: "WriteCapture",
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
          Resource: `arn:aws:s3:::${bucket}/capture/*`,
        },
        {
          Sid: "LocateBucket",
          Effect: "Allow",
          Action: "s3:GetBucketLocation",
          Resource: `arn:aws:s3:::${bucket}`,
        },
      ]);
      const principal = {
        arn: roleNamed(mocks, "capture-firehose-role").state.arn,
        identity: [doc as PolicyDocument],
      };
      const put = (resource: string) => evaluate(principal, { action: "s3:PutObject", resource });
      assert.equal(put(`arn:aws:s3:::${bucket}/capture/lambda/2026/12/02/16/x.gz`), "allowed");
      assert.equal(put(`arn:aws:s3:::${bucket}/capture/errors/lambda/x`), "allowed");
      assert.equal(
        put(`arn:aws:s3:::${bucket}/models/0123456789abcdef/model.tar.gz`),
        "not allowed",
      );
      assert.equal(put(`arn:aws:s3:::${bucket}/capturex/y`), "not allowed");
      assert.equal(put(`arn:aws:s3:::another-bucket/capture/x`), "not allowed");
      assert.equal(
        evaluate(principal, {
          action: "s3:GetObject",
          resource: `arn:aws:s3:::${bucket}/capture/x`,
        }),
        "not allowed",
      );
      assert.equal(
        evaluate(principal, {
          action: "s3:DeleteObject",
          resource: `arn:aws:s3:::${bucket}/capture/x`,
        }),
        "not allowed",
      );
      const trust = JSON.parse(roleNamed(mocks, "capture-firehose-role").inputs.assumeRolePolicy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "firehose.amazonaws.com" });
    });

    it("lets only CloudWatch Logs of this account and region assume the logs role, which may only put records into the two streams", () => {
      const role = roleNamed(mocks, "capture-logs-role");
      const trust = JSON.parse(role.inputs.assumeRolePolicy) as PolicyDocument;
      const service = `logs.${REGION}.amazonaws.com`;
      const assume = (caller: string, sourceArn?: string) =>
        evaluate(
          { arn: caller, identity: [], resourcePolicies: [trust] },
          {
            action: "sts:AssumeRole",
            resource: role.state.arn,
            context: sourceArn ? { "aws:SourceArn": sourceArn } : {},
          },
        );
      const ownGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/x`;
      assert.equal(assume(service, ownGroup), "allowed");
      assert.equal(
        assume(service, `arn:aws:logs:${REGION}:999999999999:log-group:x`),
        "not allowed",
      );
      assert.equal(assume(service), "not allowed");
      assert.equal(assume("firehose.amazonaws.com", ownGroup), "not allowed");

      const streams = ["lambda", "sagemaker-serverless"].map(
        (s) => streamNamed(mocks, s).state.arn,
      );
      assert.deepEqual(policyNamed(mocks, "capture-logs-policy").Statement, [
        {
          Sid: "PutCaptureRecords",
          Effect: "Allow",
          Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
          Resource: streams,
        },
      ]);
    });

    it("names only real actions on resources they apply to, in every policy it creates", async () => {
      const docs: [string, string, "identity" | "trust" | "resource"][] = [
        ["aws:iam/rolePolicy:RolePolicy", "policy", "identity"],
        ["aws:iam/role:Role", "assumeRolePolicy", "trust"],
        ["aws:s3/bucketPolicy:BucketPolicy", "policy", "resource"],
      ];
      for (const [type, field, kind] of docs) {
        for (const r of mocks.all(type)) {
          const problems = await checkDocument({
            origin: `${r.type} ${r.name}`,
            kind,
            document: JSON.parse(r.inputs[field]),
          });
          assert.deepEqual(problems, [], `${r.name}`);
        }
      }
    });
  });

  describe("with a KMS key", () => {
    let mocks: Recorder;
    before(async () => {
      ({ mocks } = await build({ kmsKeyArn: KEY, prefix: "traffic/v1", expirationDays: 7 }));
    });

    it("encrypts the bucket and the streams' objects with it, and lets Firehose use it", () => {
      const sse = mocks.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs;
      assert.deepEqual(sse.rules[0].applyServerSideEncryptionByDefault, {
        sseAlgorithm: "aws:kms",
        kmsMasterKeyId: KEY,
      });
      const s3 = streamNamed(mocks, "lambda").inputs.extendedS3Configuration;
      assert.equal(s3.kmsKeyArn, KEY);
      assert.equal(s3.prefix, "traffic/v1/lambda/!{timestamp:yyyy/MM/dd/HH}/");
      const doc = policyNamed(mocks, "capture-firehose-policy");
      assert.deepEqual(doc.Statement[2], {
        Sid: "EncryptCapture",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: KEY,
      });
    });
  });

  it("refuses a sample outside (0, 1], a prefix with slashes at its ends, and bad buffering", async () => {
    await useMocks({}, "prod");
    for (const sample of [0, -0.1, 1.5, Number.NaN]) {
      assert.throws(() => new TrafficCapture(`c${sample}`, { sample }), ArgumentError);
    }
    for (const prefix of ["/capture", "capture/", "Capture", "a//b", ""]) {
      assert.throws(() => new TrafficCapture("p", { prefix }), /prefix must be/);
    }
    assert.throws(() => new TrafficCapture("b", { bufferingSizeMb: 0 }), /bufferingSizeMb/);
    assert.throws(
      () => new TrafficCapture("i", { bufferingIntervalSeconds: 901 }),
      /bufferingIntervalSeconds/,
    );
  });

  it("rounds a sample to SageMaker's whole percentage, never down to 0", () => {
    assert.equal(samplingPercentage(0.1), 10);
    assert.equal(samplingPercentage(0.125), 13);
    assert.equal(samplingPercentage(0.001), 1);
    assert.equal(samplingPercentage(1), 100);
  });
});

describe("capture wired into the doors", () => {
  const subscriptionOf = (mocks: Recorder, name: string): Registered => mocks.one(FILTER, name);

  it("LambdaInferenceApi: logs at the capture's sample and subscribes its log group to the Lambda stream", async () => {
    const mocks = await useMocks({}, "prod");
    const capture = new TrafficCapture("capture", { sample: 0.25 });
    const api = new LambdaInferenceApi("api", {
      ...LAMBDA_MODEL,
      handlerEntry: FIXTURE_HANDLER,
      alarms: false,
      rolloutType: "all-at-once",
      capture,
    });
    await settle(mocks, [api.functionArn, capture.streamArn]);
    const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
    assert.equal(env.CAPTURE_SAMPLE, "0.25");
    const filter = subscriptionOf(mocks, "api-capture").inputs;
    assert.equal(filter.filterPattern, CAPTURE_FILTER_PATTERN);
    assert.equal(filter.filterPattern, '{ $.message = "capture" }');
    assert.equal(
      filter.logGroup,
      mocks.one("aws:cloudwatch/logGroup:LogGroup", "api-logs").state.name,
    );
    assert.equal(filter.destinationArn, streamNamed(mocks, "lambda").state.arn);
    assert.equal(filter.roleArn, roleNamed(mocks, "capture-logs-role").state.arn);
  });

  it("SageMakerEndpoint on instances: DataCaptureConfig to <prefix>/sagemaker, and its role may put there only", async () => {
    const mocks = await useMocks({}, "prod");
    const capture = new TrafficCapture("capture", { sample: 0.125, kmsKeyArn: KEY });
    const sm = new SageMakerEndpoint("sagemaker", { ...SAGEMAKER, serverless: false, capture });
    await settle(mocks, [sm.endpointConfigName, capture.captureS3Uri]);
    const bucket = mocks.one("aws:s3/bucket:Bucket", "capture-bucket").state.bucket;
    const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs;
    assert.deepEqual(config.dataCaptureConfig, {
      enableCapture: true,
      initialSamplingPercentage: 13,
      destinationS3Uri: `s3://${bucket}/capture/sagemaker`,
      captureOptions: [{ captureMode: "Input" }, { captureMode: "Output" }],
      captureContentTypeHeader: {
        csvContentTypes: ["text/csv"],
        jsonContentTypes: ["application/json", "application/jsonlines"],
      },
      kmsKeyId: KEY,
    });
    const env = mocks.one("aws:sagemaker/model:Model").inputs.primaryContainer.environment;
    assert.equal(env.CAPTURE_LOG, undefined);
    assert.equal(mocks.all(FILTER).length, 0);
    const doc = policyNamed(mocks, "sagemaker-policy");
    const principal = { arn: sm.role.urn as unknown as string, identity: [doc as PolicyDocument] };
    const put = (key: string) =>
      evaluate(principal, { action: "s3:PutObject", resource: `arn:aws:s3:::${bucket}/${key}` });
    assert.equal(put("capture/sagemaker/ep/AllTraffic/2026/12/02/16/x.jsonl"), "allowed");
    assert.equal(put("capture/lambda/2026/12/02/16/x"), "not allowed");
    assert.equal(put("models/0123456789abcdef/model.tar.gz"), "not allowed");
    assert.ok(doc.Statement.some((s) => s.Sid === "EncryptCapture" && s.Resource === KEY));
  });

  it("SageMakerEndpoint serverless: no DataCaptureConfig (unsupported), the container logs capture lines and its log group goes to the serverless stream", async () => {
    const mocks = await useMocks({}, "prod");
    const capture = new TrafficCapture("capture", {});
    const sm = new SageMakerEndpoint("sagemaker", { ...SAGEMAKER, serverless: true, capture });
    await settle(mocks, [sm.endpointConfigName, capture.streamArn]);
    const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs;
    assert.equal(config.dataCaptureConfig, undefined);
    const env = mocks.one("aws:sagemaker/model:Model").inputs.primaryContainer.environment;
    assert.equal(env.CAPTURE_LOG, "1");
    assert.equal(env.CAPTURE_SAMPLE, "0.1");
    const filter = subscriptionOf(mocks, "sagemaker-capture").inputs;
    assert.equal(filter.logGroup, `/aws/sagemaker/Endpoints/${await value(sm.endpointName)}`);
    assert.equal(filter.filterPattern, CAPTURE_FILTER_PATTERN);
    assert.equal(filter.destinationArn, streamNamed(mocks, "sagemaker-serverless").state.arn);
    // nothing to write to S3 itself
    const doc = policyNamed(mocks, "sagemaker-policy");
    assert.ok(!JSON.stringify(doc).includes("s3:PutObject"));
  });

  it("without a capture, neither door changes: no subscription, no capture env, no DataCaptureConfig", async () => {
    const mocks = await useMocks({}, "prod");
    const sm = new SageMakerEndpoint("sagemaker", { ...SAGEMAKER, serverless: false });
    await settle(mocks, [sm.endpointConfigName]);
    const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs;
    assert.equal(config.dataCaptureConfig, undefined);
    assert.equal(mocks.all(FILTER).length, 0);
    assert.equal(mocks.all(STREAM).length, 0);
  });
});

describe("the stack's iris-mlops:capture", () => {
  const base = {
    "iris-mlops:model": { trees: 3, folds: 2 },
    "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
    "iris-mlops:image": { context: FIXTURE_IMAGE_CONTEXT },
  };
  async function run(config: Record<string, unknown>) {
    const build = await tempDir("capture-stack");
    try {
      const mocks = await useMocks({ ...base, ...config }, "test");
      const outputs = await irisStack(undefined, { buildRoot: build.dir });
      await settle(mocks, [
        outputs.apiUrl,
        ...(outputs.captureS3Uri ? [outputs.captureS3Uri] : []),
      ]);
      return { mocks, outputs };
    } finally {
      await build.remove();
    }
  }

  it("defaults to a 10% sample and accepts 0 to 1, numerals included", () => {
    assert.equal(parseStackConfig({}).capture.sample, 0.1);
    assert.equal(
      parseStackConfig({ "iris-mlops:capture": '{"sample":"0.25"}' }).capture.sample,
      0.25,
    );
    assert.equal(parseStackConfig({ "iris-mlops:capture": '{"sample":0}' }).capture.sample, 0);
    assert.equal(parseStackConfig({ "iris-mlops:capture": '{"sample":1}' }).capture.sample, 1);
  });

  it("refuses a sample outside 0 to 1, or not a number, saying what it is for", () => {
    for (const sample of [-0.1, 1.5, '"lots"', 10]) {
      assert.throws(
        () => parseStackConfig({ "iris-mlops:capture": `{"sample":${sample}}` }),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message.includes("iris-mlops:capture.sample: must be a number from 0 to 1") &&
          e.message.includes("0 to turn capture off"),
        String(sample),
      );
    }
    assert.throws(
      () => parseStackConfig({ "iris-mlops:capture": '{"rate":0.1}' }),
      /iris-mlops:capture/,
    );
  });

  it("by default captures both doors and outputs captureS3Uri", async () => {
    const { mocks, outputs } = await run({});
    const bucket = mocks.one("aws:s3/bucket:Bucket", "capture-bucket").state.bucket;
    assert.equal(await value(outputs.captureS3Uri as never), `s3://${bucket}/capture`);
    assert.equal(mocks.one(FILTER, "api-capture").inputs.filterPattern, CAPTURE_FILTER_PATTERN);
    const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
    assert.equal(env.CAPTURE_SAMPLE, "0.1");
  });

  it("with sample 0 creates nothing of the capture, and the Lambda logs no capture lines", async () => {
    const { mocks, outputs } = await run({ "iris-mlops:capture": { sample: 0 } });
    assert.equal(outputs.captureS3Uri, undefined);
    assert.equal(mocks.all("iris-mlops:index:TrafficCapture").length, 0);
    assert.equal(mocks.all(STREAM).length, 0);
    assert.equal(mocks.all(FILTER).length, 0);
    assert.deepEqual(
      mocks.all("aws:s3/bucket:Bucket").map((b) => b.name),
      ["models-bucket"],
    );
    const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
    assert.equal(env.CAPTURE_SAMPLE, "0");
  });
});
