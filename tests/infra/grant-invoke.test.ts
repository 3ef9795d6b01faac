/**
 * grantInvoke of LambdaInferenceApi and SageMakerEndpoint under the mocks: the exact inline policy
 * on the caller's role (one action on exactly the component's resources), its name and parent,
 * and the documents checked against AWS's action catalogue (tests/helpers/iam-catalogue.ts).
 */
import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ApiAuth } from "../../components/api-auth.js";
import { LambdaInferenceApi } from "../../components/lambda-inference-api.js";
import { SageMakerEndpoint } from "../../components/sagemaker-endpoint.js";
import { ArgumentError } from "../../components/validate.js";
import { checkDocument } from "../helpers/iam-catalogue.js";
import type { PolicyDocument } from "../helpers/iam-policy.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  policyOf,
  REGION,
  type Recorder,
  settle,
  useMocks,
  value,
} from "./harness.js";

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

const catalogueProblems = (origin: string, document: PolicyDocument) =>
  checkDocument({ origin, kind: "identity", document });

/** The stack the mocks run in: the `urn` of a child names its parent's type. */
const parentOf = async (r: pulumi.Resource) => String(await value(r.urn)).split("::")[2] ?? "";

async function grantOnApi(auth: ApiAuth) {
  const mocks = await useMocks();
  const api = new LambdaInferenceApi("api", {
    ...LAMBDA_MODEL,
    handlerEntry: FIXTURE_HANDLER,
    auth,
  });
  const caller = new aws.iam.Role("batch-caller", { assumeRolePolicy: TRUST });
  const policy = api.grantInvoke(caller);
  await settle(mocks, [api.invokeArns, policy.id]);
  return { mocks, api, policy };
}

describe("grantInvoke", () => {
  describe("LambdaInferenceApi under iam", () => {
    let mocks: Recorder;
    let api: LambdaInferenceApi;
    let policy: aws.iam.RolePolicy;
    before(async () => {
      ({ mocks, api, policy } = await grantOnApi("iam"));
    });

    it("puts execute-api:Invoke on exactly the protected routes of this API's $default stage on the role", async () => {
      const apiId = await value(api.apiId);
      const base = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/$default`;
      const registered = mocks.one("aws:iam/rolePolicy:RolePolicy", "api-invoke-batch-caller");
      assert.equal(
        registered.inputs.role,
        mocks.one("aws:iam/role:Role", "batch-caller").state.name,
      );
      assert.deepEqual(policyOf(registered), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "InvokeInferenceApi",
            Effect: "Allow",
            Action: "execute-api:Invoke",
            Resource: [`${base}/POST/predict`, `${base}/GET/health`],
          },
        ],
      });
      assert.deepEqual(await value(api.invokeArns), [`${base}/POST/predict`, `${base}/GET/health`]);
    });

    it("is a child of the component", async () => {
      assert.match(await parentOf(policy), /LambdaInferenceApi\$aws:iam\/rolePolicy:RolePolicy$/);
    });

    it("uses an action, and resources, AWS has", async () => {
      const document = policyOf(
        mocks.one("aws:iam/rolePolicy:RolePolicy", "api-invoke-batch-caller"),
      );
      assert.deepEqual(await catalogueProblems("api grant", document as PolicyDocument), []);
    });
  });

  it("grants the same under none (ready for iam) and under jwt", async () => {
    for (const auth of [
      "none",
      { mode: "jwt", issuer: "https://idp.example.com", audience: ["a"] },
    ] as ApiAuth[]) {
      const { mocks, api } = await grantOnApi(auth);
      const apiId = await value(api.apiId);
      const statement = policyOf(
        mocks.one("aws:iam/rolePolicy:RolePolicy", "api-invoke-batch-caller"),
      ).Statement[0];
      assert.deepEqual(statement?.Resource, [
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/$default/POST/predict`,
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/$default/GET/health`,
      ]);
    }
  });

  it("takes a name for the policy in place of the role's", async () => {
    const mocks = await useMocks();
    const api = new LambdaInferenceApi("api", {
      ...LAMBDA_MODEL,
      handlerEntry: FIXTURE_HANDLER,
      auth: "iam",
    });
    const caller = new aws.iam.Role("caller", { assumeRolePolicy: TRUST });
    const policy = api.grantInvoke(caller, "reports");
    await settle(mocks, [policy.id]);
    assert.equal(mocks.all("aws:iam/rolePolicy:RolePolicy", "api-invoke-reports").length, 1);
    assert.throws(
      () => api.grantInvoke(caller, ""),
      (e: Error) =>
        e instanceof ArgumentError &&
        /grantInvoke could not read the role's Pulumi name; pass one/.test(e.message),
    );
  });

  describe("SageMakerEndpoint", () => {
    let mocks: Recorder;
    let sm: SageMakerEndpoint;
    let policy: aws.iam.RolePolicy;
    before(async () => {
      mocks = await useMocks({}, "prod");
      sm = new SageMakerEndpoint("sagemaker", {
        imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/iris-mlops/prod/image@sha256:${"b".repeat(64)}`,
        repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/prod/image`,
        modelBucketName: LAMBDA_MODEL.modelBucketName,
        modelKey: LAMBDA_MODEL.modelKey,
        modelManifestSha256: "c".repeat(64),
      });
      const caller = new aws.iam.Role("batch-caller", { assumeRolePolicy: TRUST });
      policy = sm.grantInvoke(caller);
      await settle(mocks, [sm.endpointArn, policy.id]);
    });

    it("puts sagemaker:InvokeEndpoint on exactly the endpoint's ARN on the role", async () => {
      const registered = mocks.one(
        "aws:iam/rolePolicy:RolePolicy",
        "sagemaker-invoke-batch-caller",
      );
      assert.equal(
        registered.inputs.role,
        mocks.one("aws:iam/role:Role", "batch-caller").state.name,
      );
      const endpointArn = await value(sm.endpointArn);
      assert.match(endpointArn, new RegExp(`^arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/`));
      assert.deepEqual(policyOf(registered), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "InvokeEndpoint",
            Effect: "Allow",
            Action: "sagemaker:InvokeEndpoint",
            Resource: endpointArn,
          },
        ],
      });
    });

    it("is a child of the component, with an action and resource AWS has", async () => {
      assert.match(await parentOf(policy), /SageMakerEndpoint\$aws:iam\/rolePolicy:RolePolicy$/);
      const document = policyOf(
        mocks.one("aws:iam/rolePolicy:RolePolicy", "sagemaker-invoke-batch-caller"),
      );
      assert.deepEqual(await catalogueProblems("endpoint grant", document as PolicyDocument), []);
    });
  });
});
