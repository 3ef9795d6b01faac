import { strict as assert } from "node:assert";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { bundleHandler } from "../../components/bundle.js";
import {
  ACCESS_LOG_FORMAT,
  LambdaInferenceApi,
  type LambdaInferenceApiArgs,
} from "../../components/lambda-inference-api.js";
import { ArgumentError } from "../../components/validate.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  PROJECT,
  policyOf,
  REGION,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

async function build(args: Partial<LambdaInferenceApiArgs> = {}, name = "api") {
  const mocks = await useMocks();
  const api = new LambdaInferenceApi(name, {
    ...LAMBDA_MODEL,
    handlerEntry: FIXTURE_HANDLER,
    ...args,
  });
  await settle(mocks, [api.apiUrl, api.functionArn, api.logGroupName, api.accessLogGroupName]);
  return { mocks, api };
}

/** The files of the function's code archive, as text. */
async function archiveFiles(mocks: Recorder): Promise<Record<string, string>> {
  const code = mocks.one("aws:lambda/function:Function").inputs.code as pulumi.asset.AssetArchive;
  const assets = (await code.assets) as Record<string, pulumi.asset.StringAsset>;
  const files: Record<string, string> = {};
  for (const [name, asset] of Object.entries(assets)) files[name] = (await asset.text) as string;
  return files;
}

describe("LambdaInferenceApi", () => {
  describe("with defaults", () => {
    let mocks: Recorder;
    let api: LambdaInferenceApi;
    before(async () => {
      ({ mocks, api } = await build());
    });

    it("registers as iris-mlops:index:LambdaInferenceApi with children named after it", () => {
      assert.equal(mocks.one("iris-mlops:index:LambdaInferenceApi").name, "api");
      for (const r of mocks.resources.filter((x) => x.custom)) assert.match(r.name, /^api-/);
    });

    it("runs the bundle on nodejs22.x arm64 as index.handler, with memory and timeout defaults", () => {
      const fn = mocks.one("aws:lambda/function:Function").inputs;
      assert.equal(fn.runtime, "nodejs22.x");
      assert.equal(fn.handler, "index.handler");
      assert.deepEqual(fn.architectures, ["arm64"]);
      assert.equal(fn.memorySize, 512);
      assert.equal(fn.timeout, 10);
      assert.equal(fn.reservedConcurrentExecutions, undefined);
    });

    it("ships index.js and its source map, with a sourceCodeHash of the bundle", async () => {
      const files = await archiveFiles(mocks);
      assert.deepEqual(Object.keys(files).sort(), ["index.js", "index.js.map"]);
      const js = files["index.js"] as string;
      assert.match(js, /sepal_length/, "the core import is bundled in");
      assert.doesNotMatch(js, /require\(["']\.\.?\//, "no relative requires left");
      assert.match(js, /sourceMappingURL=index\.js\.map/);
      const map = JSON.parse(files["index.js.map"] as string);
      assert.equal(map.sourcesContent, undefined);
      for (const source of map.sources as string[]) assert.ok(!source.startsWith("/"), source);
      const expected = await bundleHandler(FIXTURE_HANDLER, { sourceMap: true });
      assert.equal(js, expected.code);
      const fn = mocks.one("aws:lambda/function:Function").inputs;
      assert.equal(fn.sourceCodeHash, expected.hash);
      assert.equal(await value(api.bundleHash), expected.hash);
    });

    it("wires the model location and checksum into the environment", () => {
      const fn = mocks.one("aws:lambda/function:Function").inputs;
      assert.deepEqual(fn.environment, {
        variables: {
          MODEL_BUCKET: LAMBDA_MODEL.modelBucketName,
          MODEL_KEY: LAMBDA_MODEL.modelKey,
          MODEL_SHA256: LAMBDA_MODEL.modelSha256,
          API_AUTH: "none",
          // no capture given: the handler logs no capture lines
          CAPTURE_SAMPLE: "0",
          NODE_OPTIONS: "--enable-source-maps",
        },
      });
    });

    it("logs JSON to its own log group, named after project, stack and component, kept 14 days", async () => {
      const fn = mocks.one("aws:lambda/function:Function").inputs;
      const group = mocks.one("aws:cloudwatch/logGroup:LogGroup", "api-logs");
      assert.equal(group.inputs.retentionInDays, 14);
      assert.equal(group.inputs.namePrefix, `/aws/lambda/${PROJECT}-test-api-`);
      assert.equal(
        mocks.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs").inputs.namePrefix,
        `/aws/apigateway/${PROJECT}-test-api-`,
      );
      assert.equal(fn.loggingConfig.logFormat, "JSON");
      assert.equal(fn.loggingConfig.logGroup, group.state.name);
      assert.equal(await value(api.logGroupName), group.state.name);
    });

    it("lets its role read only the models under the bucket's models/ prefix and write only its own log group", () => {
      const role = mocks.one("aws:iam/role:Role", "api-role");
      assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
      assert.equal(role.inputs.managedPolicyArns, undefined);
      assert.equal(mocks.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
      const policy = mocks.one("aws:iam/rolePolicy:RolePolicy", "api-policy");
      assert.equal(policy.inputs.role, role.state.name);
      const logArn = mocks.one("aws:cloudwatch/logGroup:LogGroup", "api-logs").state.arn;
      assert.equal(
        logArn,
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logArn.split(":").pop()}`,
      );
      assert.deepEqual(policyOf(policy).Statement, [
        {
          Sid: "ReadModel",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${LAMBDA_MODEL.modelBucketName}/models/*`,
        },
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logArn}:*`,
        },
      ]);
    });

    it("serves POST /predict, GET /health, GET / and GET /openapi.json through one AWS_PROXY integration to the live alias, payload 2.0", () => {
      const httpApi = mocks.one("aws:apigatewayv2/api:Api");
      assert.equal(httpApi.inputs.protocolType, "HTTP");
      assert.equal(httpApi.inputs.corsConfiguration, undefined);
      const integration = mocks.one("aws:apigatewayv2/integration:Integration");
      assert.equal(integration.inputs.apiId, httpApi.state.id ?? integration.inputs.apiId);
      assert.equal(integration.inputs.integrationType, "AWS_PROXY");
      assert.equal(integration.inputs.payloadFormatVersion, "2.0");
      // the alias, never the function itself: what answers is what CodeDeploy routes to
      const alias = mocks.one("aws:lambda/alias:Alias");
      assert.equal(integration.inputs.integrationUri, alias.state.arn);
      assert.equal(alias.state.arn, `${mocks.one("aws:lambda/function:Function").state.arn}:live`);
      const routes = mocks.all("aws:apigatewayv2/route:Route");
      assert.deepEqual(routes.map((r) => r.inputs.routeKey).sort(), [
        "GET /",
        "GET /health",
        "GET /openapi.json",
        "POST /predict",
      ]);
      for (const route of routes) {
        assert.match(route.inputs.target, /^integrations\//);
        assert.equal(route.inputs.apiId, integration.inputs.apiId);
      }
    });

    it("deploys a throttled $default stage with JSON access logs to its own log group", () => {
      const stage = mocks.one("aws:apigatewayv2/stage:Stage").inputs;
      assert.equal(stage.name, "$default");
      assert.equal(stage.autoDeploy, true);
      assert.deepEqual(stage.defaultRouteSettings, {
        throttlingBurstLimit: 100,
        throttlingRateLimit: 50,
      });
      const access = mocks.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs");
      assert.equal(access.inputs.retentionInDays, 14);
      assert.equal(stage.accessLogSettings.destinationArn, access.state.arn);
      assert.equal(stage.accessLogSettings.format, ACCESS_LOG_FORMAT);
      const format = JSON.parse(stage.accessLogSettings.format);
      assert.equal(format.requestId, "$context.requestId");
      assert.equal(format.status, "$context.status");
      assert.equal(format.routeKey, "$context.routeKey");
    });

    it("lets API Gateway, and only this API, invoke the live alias, and nothing else of the function", () => {
      const permission = mocks.one("aws:lambda/permission:Permission").inputs;
      const httpApi = mocks.one("aws:apigatewayv2/api:Api").state;
      assert.equal(permission.action, "lambda:InvokeFunction");
      assert.equal(permission.principal, "apigateway.amazonaws.com");
      assert.equal(permission.function, mocks.one("aws:lambda/function:Function").state.name);
      assert.equal(permission.qualifier, "live");
      assert.equal(permission.sourceArn, `${httpApi.executionArn}/*/*`);
    });

    it("exposes the API URL, function name and ARN", async () => {
      const httpApi = mocks.one("aws:apigatewayv2/api:Api").state;
      const fn = mocks.one("aws:lambda/function:Function").state;
      assert.equal(await value(api.apiUrl), httpApi.apiEndpoint);
      assert.equal(await value(api.functionName), fn.name);
      assert.equal(await value(api.functionArn), fn.arn);
    });
  });

  it("takes memory, timeout, architecture, concurrency, throttling, retention and CORS from its arguments", async () => {
    const { mocks } = await build({
      memorySize: 1024,
      timeout: 20,
      architecture: "x86_64",
      reservedConcurrentExecutions: 5,
      throttlingBurstLimit: 10,
      throttlingRateLimit: 3,
      logRetentionInDays: 90,
      corsAllowOrigins: ["https://app.example.com"],
    });
    const fn = mocks.one("aws:lambda/function:Function").inputs;
    assert.equal(fn.memorySize, 1024);
    assert.equal(fn.timeout, 20);
    assert.deepEqual(fn.architectures, ["x86_64"]);
    assert.equal(fn.reservedConcurrentExecutions, 5);
    assert.deepEqual(mocks.one("aws:apigatewayv2/stage:Stage").inputs.defaultRouteSettings, {
      throttlingBurstLimit: 10,
      throttlingRateLimit: 3,
    });
    for (const group of mocks.all("aws:cloudwatch/logGroup:LogGroup"))
      assert.equal(group.inputs.retentionInDays, 90);
    assert.deepEqual(mocks.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration, {
      allowOrigins: ["https://app.example.com"],
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["content-type"],
      exposeHeaders: ["x-model-version"],
      maxAge: 3600,
    });
  });

  it("adds kms:Decrypt on exactly the bucket's key when the model is KMS-encrypted", async () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
    const { mocks } = await build({ modelKmsKeyArn: key });
    const statements = policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy", "api-policy")).Statement;
    assert.deepEqual(
      statements.find((s) => s.Sid === "DecryptModel"),
      { Sid: "DecryptModel", Effect: "Allow", Action: "kms:Decrypt", Resource: key },
    );
  });

  it("without source maps ships index.js alone and no NODE_OPTIONS", async () => {
    const { mocks } = await build({ sourceMap: false });
    const files = await archiveFiles(mocks);
    assert.deepEqual(Object.keys(files), ["index.js"]);
    assert.doesNotMatch(files["index.js"] as string, /sourceMappingURL/);
    const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
    assert.equal(env.NODE_OPTIONS, undefined);
  });

  it("refuses out-of-range arguments by name", async () => {
    await useMocks();
    assert.throws(
      () => new LambdaInferenceApi("bad", { ...LAMBDA_MODEL, memorySize: 64 }),
      (e: Error) => e instanceof ArgumentError && /memorySize/.test(e.message),
    );
    assert.throws(
      () => new LambdaInferenceApi("bad", { ...LAMBDA_MODEL, logRetentionInDays: 10 }),
      /logRetentionInDays must be one of 1, 3, 5, 7, 14/,
    );
    assert.throws(
      () =>
        new LambdaInferenceApi("bad", {
          ...LAMBDA_MODEL,
          architecture: "sparc" as unknown as "arm64",
        }),
      /architecture must be one of arm64, x86_64/,
    );
  });

  describe("the bundle", () => {
    it("is the same bytes and hash for the same code, built twice", async () => {
      const a = await bundleHandler(FIXTURE_HANDLER, { sourceMap: true });
      const b = await bundleHandler(FIXTURE_HANDLER, { sourceMap: true });
      assert.equal(a.code, b.code);
      assert.equal(a.sourceMap, b.sourceMap);
      assert.equal(a.hash, b.hash);
      assert.match(a.hash, /^[A-Za-z0-9+/]{43}=$/);
    });

    it("changes hash when the code changes", async () => {
      const tmp = await tempDir("bundle");
      try {
        const entry = join(tmp.dir, "handler.js");
        await writeFile(entry, "exports.handler = async () => ({ statusCode: 200, body: 'a' });\n");
        const a = await bundleHandler(entry, { sourceMap: false, root: tmp.dir });
        await writeFile(entry, "exports.handler = async () => ({ statusCode: 200, body: 'b' });\n");
        const b = await bundleHandler(entry, { sourceMap: false, root: tmp.dir });
        assert.notEqual(a.hash, b.hash);
        // the same code from another folder (another clone) bundles the same
        const elsewhere = join(tmp.dir, "copy.js");
        await copyFile(entry, elsewhere);
        const c = await bundleHandler(elsewhere, { sourceMap: false, root: tmp.dir });
        assert.equal(c.code, b.code);
      } finally {
        await tmp.remove();
      }
    });

    it("reports a missing entry clearly", async () => {
      await assert.rejects(
        bundleHandler("/nonexistent/handler.ts", { sourceMap: false, root: "/" }),
        /handler entry \/nonexistent\/handler\.ts does not exist/,
      );
    });
  });
});
