/**
 * SageMakerEndpoint's Batch Transform grants (components/sagemaker-role.ts batchStatements), with
 * Pulumi mocks: Batch Transform reads and writes S3 with the model's role, so a stack that
 * declares batch prefixes gets exactly those (list and read the input prefix, write the output
 * prefix, the key when one encrypts them), one that declares none gets nothing of S3 beyond its
 * models, and prefixes that cannot work are refused before anything is created. The actions and
 * condition keys are checked against AWS's catalogue (tests/helpers/iam-catalogue.ts).
 */
import { strict as assert } from "node:assert";
import {
  SageMakerEndpoint,
  type SageMakerEndpointArgs,
} from "../../components/sagemaker-endpoint.js";
import { ArgumentError } from "../../components/validate.js";
import { parseStackConfig } from "../../stacks/config.js";
import { checkDocument } from "../helpers/iam-catalogue.js";
import { ACCOUNT, policyOf, REGION, settle, useMocks } from "./harness.js";

const ARGS: SageMakerEndpointArgs = {
  imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/iris-mlops/prod/image@sha256:${"b".repeat(64)}`,
  repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/prod/image`,
  modelBucketName: "models-bucket-1234567",
  modelKey: "models/0123456789abcdef/model.tar.gz",
  modelManifestSha256: "c".repeat(64),
};
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

async function statementsFor(args: Partial<SageMakerEndpointArgs>) {
  const mocks = await useMocks({}, "prod");
  const sm = new SageMakerEndpoint("sagemaker", { ...ARGS, ...args });
  await settle(mocks, [sm.endpointName, sm.modelName]);
  const policy = mocks.one("aws:iam/rolePolicy:RolePolicy");
  return { document: policyOf(policy), statements: policyOf(policy).Statement as object[] };
}

const withSid = (statements: object[], prefix: string) =>
  statements.filter((s) => (s as { Sid?: string }).Sid?.startsWith(prefix));

describe("SageMakerEndpoint batch prefixes (the model's role for Batch Transform)", () => {
  it("grants nothing for batch when none is declared", async () => {
    const { statements } = await statementsFor({});
    assert.deepEqual(withSid(statements, "ListBatch"), []);
    const s3 = statements.filter((s) => JSON.stringify(s).includes('"s3:'));
    assert.deepEqual(
      s3.map((s) => (s as { Sid: string }).Sid),
      ["ReadModel"],
    );
  });

  it("grants list and read of exactly the input prefix, and write of exactly the output prefix", async () => {
    const { statements } = await statementsFor({
      batchInput: "s3://data-bucket/iris/in/",
      batchOutput: "s3://results-bucket/iris/out/",
    });
    assert.deepEqual(
      statements.filter((s) => /Batch/.test((s as { Sid: string }).Sid)),
      [
        {
          Sid: "ListBatchInput",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::data-bucket",
          Condition: { StringLike: { "s3:prefix": ["iris/in/*"] } },
        },
        {
          Sid: "ReadBatchInput",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::data-bucket/iris/in/*",
        },
        {
          Sid: "WriteBatchOutput",
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::results-bucket/iris/out/*",
        },
      ],
    );
  });

  it("adds the KMS key's decrypt and data keys when one encrypts the buckets, and passes AWS's catalogue", async () => {
    const { document, statements } = await statementsFor({
      batchInput: "s3://data-bucket/in/",
      batchOutput: "s3://data-bucket/out/",
      batchKmsKeyArn: KEY,
    });
    assert.deepEqual(withSid(statements, "BatchDataKey"), [
      {
        Sid: "BatchDataKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: KEY,
      },
    ]);
    const problems = await checkDocument({
      origin: "sagemaker-policy",
      kind: "identity",
      document,
    } as Parameters<typeof checkDocument>[0]);
    assert.deepEqual(problems, []);
  });

  for (const [what, args, message] of [
    ["an input without an output", { batchInput: "s3://data-bucket/in/" }, /go together/],
    [
      "a URI that is not s3://bucket/prefix",
      { batchInput: "https://data-bucket/in/", batchOutput: "s3://data-bucket/out/" },
      /batchInput must be s3:\/\/bucket\/prefix/,
    ],
    [
      "a wildcard",
      { batchInput: "s3://data-bucket/in/*", batchOutput: "s3://data-bucket/out/" },
      /no wildcards/,
    ],
    [
      "an output under the input",
      { batchInput: "s3://data-bucket/in/", batchOutput: "s3://data-bucket/in/out/" },
      /overlap/,
    ],
  ] as const) {
    it(`refuses ${what} before anything is created`, () => {
      assert.throws(
        () => new SageMakerEndpoint("sagemaker", { ...ARGS, ...args }),
        (error: unknown) => error instanceof ArgumentError && message.test(error.message),
      );
    });
  }

  it("reads sagemaker.batch from the stack's configuration", () => {
    const config = parseStackConfig({
      "iris-mlops:sagemaker": JSON.stringify({
        enabled: true,
        batch: { input: "s3://data-bucket/in/", output: "s3://data-bucket/out/" },
      }),
    });
    assert.deepEqual(config.sagemaker.batch, {
      input: "s3://data-bucket/in/",
      output: "s3://data-bucket/out/",
    });
    assert.throws(
      () =>
        parseStackConfig({
          "iris-mlops:sagemaker": JSON.stringify({ batch: { input: "data-bucket/in/" } }),
        }),
      /sagemaker\.batch\.input/,
    );
  });
});
