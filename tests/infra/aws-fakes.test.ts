/**
 * The AWS fakes (tests/helpers/aws-fakes/) read back through the AWS SDK itself: a fixture the
 * SDK parses into something else than what the fake meant, or a fault it does not recognise, is
 * a bug of the fake, and every test that relies on the fake would be testing against fiction.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import {
  CodeDeployClient,
  CodeDeployServiceException,
  CreateDeploymentCommand,
  DeploymentLimitExceededException,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  InvalidRevisionException,
  ListDeploymentsCommand,
} from "@aws-sdk/client-codedeploy";
import {
  GetAliasCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import { DescribeEndpointCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { appSpecContent } from "../../components/lambda-deployment-calls.js";
import { CodeDeployFake } from "../helpers/aws-fakes/codedeploy.js";
import {
  type Aliases,
  type LambdaOperations,
  lambdaThrottling,
  startLambdaFake,
} from "../helpers/aws-fakes/lambda.js";
import { parseLambdaAppSpec } from "../helpers/aws-fakes/lambda-appspec.js";
import { describedEndpoint, SageMakerFake } from "../helpers/aws-fakes/sagemaker.js";
import { AwsFault, Delayed, type FakeService, Trickle } from "../helpers/aws-fakes/service.js";

const GROUP = {
  applicationName: "app",
  deploymentGroupName: "group",
  deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent10Minutes",
};
const SPEC = { Name: "fn", Alias: "live", CurrentVersion: "1", TargetVersion: "2" };
const credentials = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake" };

describe("the AWS fakes, read back through the AWS SDK", () => {
  const aliases: Aliases = new Map();
  let codedeploy: CodeDeployFake;
  let lambda: FakeService<LambdaOperations>;
  let cd: CodeDeployClient;
  let fn: LambdaClient;

  before(async () => {
    codedeploy = await CodeDeployFake.start(GROUP, aliases);
    lambda = await startLambdaFake(aliases, "eu-west-1");
    const config = { region: "eu-west-1", credentials, maxAttempts: 3 };
    cd = new CodeDeployClient({ ...config, endpoint: codedeploy.service.endpoint });
    fn = new LambdaClient({ ...config, endpoint: lambda.endpoint });
  });
  beforeEach(() => {
    codedeploy.reset();
    lambda.reset();
    aliases.clear();
    aliases.set("fn:live", { version: "1", weights: {} });
  });
  after(async () => {
    cd?.destroy();
    fn?.destroy();
    await codedeploy?.service.close();
    await lambda?.close();
  });

  it("GetDeployment: the deployment as the fake keeps it, timestamps included", async () => {
    const id = codedeploy.seed(SPEC, [{ status: "InProgress", weight: 10 }]);
    const { deploymentInfo } = await cd.send(new GetDeploymentCommand({ deploymentId: id }));
    assert.ok(deploymentInfo?.createTime instanceof Date);
    assert.deepEqual(deploymentInfo, codedeploy.deployments.get(id)?.info);
    assert.deepEqual(aliases.get("fn:live"), { version: "1", weights: { "2": 0.1 } });
    const { deploymentTarget } = await cd.send(
      new GetDeploymentTargetCommand({ deploymentId: id, targetId: "fn:live" }),
    );
    assert.equal(deploymentTarget?.lambdaTarget?.lambdaFunctionInfo?.targetVersionWeight, 10);
    assert.ok(deploymentTarget?.lambdaTarget?.lastUpdatedAt instanceof Date);
  });

  it("CreateDeployment takes the provider's AppSpec, and refuses a second active deployment", async () => {
    const revision = {
      revisionType: "AppSpecContent" as const,
      appSpecContent: appSpecContent(
        { functionName: "fn", aliasName: "live", targetVersion: "2" },
        "1",
      ),
    };
    const input = { applicationName: "app", deploymentGroupName: "group", revision };
    const { deploymentId } = await cd.send(new CreateDeploymentCommand(input));
    const listed = await cd.send(
      new ListDeploymentsCommand({
        applicationName: "app",
        deploymentGroupName: "group",
        includeOnlyStatuses: ["Created"],
      }),
    );
    assert.deepEqual(listed.deployments, [deploymentId]);
    await assert.rejects(cd.send(new CreateDeploymentCommand(input)), (err) => {
      assert.ok(err instanceof DeploymentLimitExceededException);
      assert.match(err.message, new RegExp(`already has an active Deployment '${deploymentId}'`));
      return true;
    });
  });

  it("CreateDeployment refuses an AppSpec whose sha256 does not match, or that AWS would not read", async () => {
    const refused = async (
      content: string,
      sha256 = createHash("sha256").update(content).digest("hex"),
    ) => {
      const revision = {
        revisionType: "AppSpecContent" as const,
        appSpecContent: { content, sha256 },
      };
      const command = new CreateDeploymentCommand({
        applicationName: "app",
        deploymentGroupName: "group",
        revision,
      });
      await assert.rejects(cd.send(command), InvalidRevisionException);
    };
    const good = appSpecContent({ functionName: "fn", aliasName: "live", targetVersion: "2" }, "1");
    await refused(good.content, "0".repeat(64));
    await refused(good.content.replace('"TargetVersion":"2"', '"TargetVersion":"$LATEST"'));
    await refused(good.content.replace('"CurrentVersion":"1"', '"CurrentVersion":"7"')); // not the alias's
    await refused(good.content.replace("AWS::Lambda::Function", "AWS::ECS::Service"));
    await refused(good.content.replace('"version":0.0', '"version":1'));
    assert.deepEqual(parseLambdaAppSpec(good.content).Resources[0]?.fn?.Properties, SPEC);
  });

  it("a queued ThrottlingException is one the SDK retries; a 5xx past the last attempt surfaces", async () => {
    const throttled = () => new AwsFault(400, "ThrottlingException", "Rate exceeded");
    codedeploy.service.failNext("ListDeployments", [throttled(), throttled()]);
    const listed = await cd.send(
      new ListDeploymentsCommand({ applicationName: "app", deploymentGroupName: "group" }),
    );
    assert.deepEqual([listed.$metadata.attempts, listed.deployments], [3, []]);
    codedeploy.service.failNext(
      "ListDeployments",
      [1, 2, 3].map(() => new AwsFault(500, "InternalFailure", "x")),
    );
    await assert.rejects(cd.send(new ListDeploymentsCommand({})), (err) => {
      assert.ok(err instanceof CodeDeployServiceException);
      assert.deepEqual(
        [err.name, err.$metadata.httpStatusCode, err.$metadata.attempts],
        ["InternalFailure", 500, 3],
      );
      return true;
    });
  });

  it("GetAlias: the alias with its routing, ResourceNotFoundException, and a retried 429", async () => {
    aliases.set("fn:live", { version: "1", weights: { "2": 0.1 } });
    lambda.failNext("GetAlias", [lambdaThrottling()]);
    const alias = await fn.send(new GetAliasCommand({ FunctionName: "fn", Name: "live" }));
    assert.equal(alias.$metadata.attempts, 2);
    assert.deepEqual(
      [alias.FunctionVersion, alias.RoutingConfig],
      ["1", { AdditionalVersionWeights: { "2": 0.1 } }],
    );
    assert.equal(alias.AliasArn, "arn:aws:lambda:eu-west-1:123456789012:function:fn:live");
    await assert.rejects(
      fn.send(new GetAliasCommand({ FunctionName: "fn", Name: "blue" })),
      ResourceNotFoundException,
    );
    lambda.failNext(
      "GetAlias",
      [1, 2, 3].map(() => lambdaThrottling()),
    );
    await assert.rejects(
      fn.send(new GetAliasCommand({ FunctionName: "fn", Name: "live" })),
      TooManyRequestsException,
    );
  });

  it("a Trickle: headers and one byte, then nothing until the client gives up; the next call answers", async () => {
    lambda.failNext("GetAlias", [new Trickle()]);
    const raw = await fetch(`${lambda.endpoint}/2015-03-31/functions/fn/aliases/live`, {
      headers: {
        authorization: "AWS4-HMAC-SHA256 Credential=AKIA/20260101/eu-west-1/lambda/aws4_request, x",
      },
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(raw.status, 200);
    const reader = (raw.body as ReadableStream<Uint8Array>).getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "{");
    const stalled = await Promise.race([
      reader.read().then(() => "more"),
      new Promise((resolve) => setTimeout(resolve, 300, "stalled")),
    ]);
    assert.equal(stalled, "stalled");
    await reader.cancel();
    const alias = await fn.send(new GetAliasCommand({ FunctionName: "fn", Name: "live" }));
    assert.equal(alias.FunctionVersion, "1");
    assert.equal(lambda.count("GetAlias"), 2);
  });

  it("answers an unsigned request as AWS does, 403, and records no call", async () => {
    const res = await fetch(codedeploy.service.endpoint, {
      method: "POST",
      headers: {
        "x-amz-target": "CodeDeploy_20141006.ListDeployments",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });
    assert.equal(res.status, 403);
    assert.equal(
      ((await res.json()) as { __type: string }).__type,
      "MissingAuthenticationTokenException",
    );
    assert.equal(codedeploy.service.calls.length, 0);
  });
});

describe("a Delayed answer, read through the AWS SDK (the SageMaker fake)", () => {
  const endpoint = describedEndpoint({ name: "ep", status: "InService", config: "c1" });
  /** Timers keeping the process alive, counted once the timer callbacks of this turn are done. */
  const timers = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  };
  const describeEndpoint = () => new DescribeEndpointCommand({ EndpointName: "ep" });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let sagemaker: SageMakerFake;
  let client: SageMakerClient;

  before(async () => {
    sagemaker = await SageMakerFake.start();
    client = new SageMakerClient({
      region: "eu-west-1",
      credentials,
      maxAttempts: 1,
      endpoint: sagemaker.service.endpoint,
    });
  });
  after(async () => {
    client?.destroy();
    await sagemaker?.service.close();
  });

  it("comes late, as an output or a fault", async () => {
    sagemaker.play([
      new Delayed(300, endpoint),
      new Delayed(50, new AwsFault(400, "ValidationException", "Could not find endpoint")),
    ]);
    const started = Date.now();
    const { $metadata, ...read } = await client.send(describeEndpoint());
    assert.ok(Date.now() - started >= 290, `${Date.now() - started} ms`);
    assert.deepEqual(read, endpoint);
    await assert.rejects(client.send(describeEndpoint()), {
      name: "ValidationException",
    });
    assert.equal(sagemaker.describes, 2);
  });

  it("one the client gave up on leaves no timer behind (a test run would wait for it)", async () => {
    sagemaker.play([new Delayed(60_000, endpoint)]);
    const before = await timers();
    const gaveUp = AbortSignal.timeout(100);
    await assert.rejects(client.send(describeEndpoint(), { abortSignal: gaveUp }));
    assert.equal(sagemaker.describes, 1);
    for (let i = 0; i < 40 && (await timers()) > before; i++) await sleep(50);
    assert.ok((await timers()) <= before, process.getActiveResourcesInfo().join());
  });
});
