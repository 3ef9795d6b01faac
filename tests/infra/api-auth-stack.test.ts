/**
 * The stack's `api.auth`: its config forms and their errors, dev open and prod on iam as
 * committed, and the program handing it to the Lambda API with the outputs a caller needs.
 */
import { strict as assert } from "node:assert";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import { stackConfigFile } from "../helpers/iam-programs.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  REGION,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
const raw = (config: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
const authOf = (auth: unknown) => parseStackConfig(raw({ "iris-mlops:api": { auth } })).api.auth;
const refused = (auth: unknown, message: string) =>
  assert.throws(
    () => authOf(auth),
    (e: Error) => e instanceof ConfigError && e.message.includes(message),
  );

describe("stack config api.auth", () => {
  it("defaults to none, and reads none and iam as strings or { mode }", () => {
    assert.equal(parseStackConfig({}).api.auth, "none");
    assert.equal(authOf("iam"), "iam");
    assert.equal(authOf({ mode: "iam" }), "iam");
    assert.equal(authOf({ mode: "none" }), "none");
  });

  it("reads jwt with one audience or a list", () => {
    assert.deepEqual(authOf({ mode: "jwt", issuer: ISSUER, audience: "client-a" }), {
      mode: "jwt",
      issuer: ISSUER,
      audience: ["client-a"],
    });
    assert.deepEqual(authOf({ mode: "jwt", issuer: ISSUER, audience: ["a", "b"] }), {
      mode: "jwt",
      issuer: ISSUER,
      audience: ["a", "b"],
    });
  });

  it("refuses what AWS would, naming the key", () => {
    refused("open", 'iris-mlops:api.auth.mode: must be "none", "iam" or "jwt"');
    refused("jwt", "iris-mlops:api.auth.issuer: is required for jwt");
    refused("jwt", "iris-mlops:api.auth.audience: is required for jwt");
    refused(
      { mode: "jwt", issuer: "http://idp.example.com", audience: "a" },
      "iris-mlops:api.auth.issuer: must use https, got http://idp.example.com",
    );
    refused(
      { mode: "jwt", issuer: ISSUER, audience: [] },
      "iris-mlops:api.auth.audience: must list at least one audience",
    );
    refused({ mode: "iam", issuer: ISSUER }, 'iris-mlops:api.auth: Unrecognized key: "issuer"');
  });

  it("is none in the committed dev stack and iam in prod", async () => {
    assert.equal(parseStackConfig(raw(await stackConfigFile("dev"))).api.auth, "none");
    assert.equal(parseStackConfig(raw(await stackConfigFile("prod"))).api.auth, "iam");
  });

  describe("in the program", () => {
    let build: Awaited<ReturnType<typeof tempDir>>;
    before(async () => {
      build = await tempDir("auth-stack");
    });
    after(async () => {
      await build.remove();
    });

    async function run(auth: unknown) {
      const mocks = await useMocks({
        "iris-mlops:model": { trees: 3, folds: 2 },
        "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER, auth },
        "iris-mlops:image": { context: FIXTURE_IMAGE_CONTEXT },
      });
      const outputs = await irisStack(undefined, { buildRoot: build.dir });
      await settle(mocks, [outputs.apiUrl, outputs.apiInvokeArns]);
      return { mocks, outputs };
    }

    it("iam: protects the API and exports the mode and the ARNs a caller's role needs", async () => {
      const { mocks, outputs } = await run("iam");
      assert.equal(outputs.apiAuth, "iam");
      const predict = mocks.one("aws:apigatewayv2/route:Route", "api-route-predict").inputs;
      assert.equal(predict.authorizationType, "AWS_IAM");
      const apiId = mocks.one("aws:apigatewayv2/api:Api").state.executionArn.split(":").pop();
      assert.deepEqual(await value(outputs.apiInvokeArns), [
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/$default/POST/predict`,
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/$default/GET/health`,
      ]);
    });

    it("jwt: the authorizer from the config's issuer and audience", async () => {
      const { mocks, outputs } = await run({ mode: "jwt", issuer: ISSUER, audience: "client-a" });
      assert.equal(outputs.apiAuth, "jwt");
      assert.deepEqual(
        mocks.one("aws:apigatewayv2/authorizer:Authorizer").inputs.jwtConfiguration,
        { issuer: ISSUER, audiences: ["client-a"] },
      );
      assert.equal(
        mocks.one("aws:apigatewayv2/route:Route", "api-route-health").inputs.authorizationType,
        "JWT",
      );
    });
  });
});
