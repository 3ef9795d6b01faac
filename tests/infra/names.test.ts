import { strict as assert } from "node:assert";
import { NAME_RULES, type NameRule, nameProblem } from "../../components/validate.js";
import {
  ConfigError,
  checkRegions,
  checkStackNames,
  derivedNames,
  parseStackConfig,
} from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import {
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  PROJECT,
  type Registered,
  settle,
  tempDir,
  useMocks,
} from "./harness.js";

/** Everything on: the configuration that creates the most (and the longest) names. */
const FULL = {
  "iris-mlops:model": { trees: 10, folds: 2 },
  "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
  "iris-mlops:image": { context: FIXTURE_IMAGE_CONTEXT },
  "iris-mlops:sagemaker": { enabled: true, mode: "instances" },
  "iris-mlops:alerts": { email: "oncall@example.com" },
};
const fullConfig = () =>
  parseStackConfig(
    Object.fromEntries(Object.entries(FULL).map(([k, v]) => [k, JSON.stringify(v)])),
  );

/** The stack name's longest length that this configuration allows. */
function longestStackName(): number {
  for (let n = 1; n <= 100; n++) {
    try {
      checkStackNames(PROJECT, "s".repeat(n), fullConfig());
    } catch {
      return n - 1;
    }
  }
  return 100;
}

/** The AWS rule for a registered resource's name, and the name AWS will see. */
function nameOf(r: Registered, stack: string): { rule: NameRule; name: string } | undefined {
  const auto = (given: unknown) =>
    typeof given === "string" ? given : `${PROJECT}-${stack}-${r.name}-0000000`;
  const prefixed = (prefix: unknown) => `${prefix}${"0".repeat(26)}`;
  switch (r.type) {
    case "aws:s3/bucket:Bucket":
      return { rule: NAME_RULES.bucketPrefix, name: r.inputs.bucketPrefix };
    case "aws:iam/role:Role":
      return { rule: NAME_RULES.iamRole, name: auto(r.inputs.name) };
    case "aws:iam/rolePolicy:RolePolicy":
      return { rule: NAME_RULES.iamRolePolicy, name: auto(r.inputs.name) };
    case "aws:lambda/function:Function":
      return { rule: NAME_RULES.lambdaFunction, name: auto(r.inputs.name) };
    case "aws:cloudwatch/logGroup:LogGroup":
      return {
        rule: NAME_RULES.logGroup,
        name: r.inputs.name ?? prefixed(r.inputs.namePrefix),
      };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { rule: NAME_RULES.alarm, name: auto(r.inputs.name) };
    case "aws:cloudwatch/dashboard:Dashboard":
      return { rule: NAME_RULES.dashboard, name: r.inputs.dashboardName };
    case "aws:sns/topic:Topic":
      return { rule: NAME_RULES.snsTopic, name: auto(r.inputs.name) };
    case "aws:apigatewayv2/api:Api":
      return { rule: NAME_RULES.httpApi, name: auto(r.inputs.name) };
    case "aws:ecr/repository:Repository":
      return { rule: NAME_RULES.ecrRepository, name: auto(r.inputs.name) };
    case "aws:appautoscaling/policy:Policy":
      return { rule: NAME_RULES.scalingPolicy, name: auto(r.inputs.name) };
    case "aws:sagemaker/model:Model":
      return { rule: NAME_RULES.sagemakerModel, name: auto(r.inputs.name) };
    case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
      return { rule: NAME_RULES.sagemakerEndpointConfig, name: auto(r.inputs.name) };
    case "aws:codedeploy/application:Application":
      return { rule: NAME_RULES.codedeployApplication, name: auto(r.inputs.name) };
    case "aws:codedeploy/deploymentConfig:DeploymentConfig":
      return { rule: NAME_RULES.codedeployConfig, name: r.inputs.deploymentConfigName };
    case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
      return { rule: NAME_RULES.firehoseStream, name: auto(r.inputs.name) };
    case "aws-native:sagemaker:Endpoint":
      return { rule: NAME_RULES.sagemakerEndpoint, name: auto(r.inputs.endpointName) };
    default:
      return undefined;
  }
}

describe("names derived from the stack name", () => {
  let build: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    build = await tempDir("names");
  });
  after(async () => {
    await build.remove();
  });

  it("at the longest stack name allowed, every name the program registers is one AWS accepts", async () => {
    const longest = longestStackName();
    assert.ok(longest >= 10, `stack names of ${longest} characters are too few to be usable`);
    const stack = "s".repeat(longest);
    const mocks = await useMocks(FULL, stack);
    const outputs = await irisStack(undefined, { buildRoot: build.dir });
    await settle(mocks, [outputs.apiUrl]);
    const derived = derivedNames(PROJECT, stack, fullConfig());
    let named = 0;
    for (const r of mocks.resources.filter((x) => x.custom)) {
      const found = nameOf(r, stack);
      if (!found) continue;
      named++;
      assert.equal(nameProblem(found.rule, found.name), undefined, `${r.type} ${r.name}`);
      // the list the up-front check uses holds a name at least as long of the same kind
      const listed = derived.filter((d) => d.rule === found.rule).map((d) => d.name.length);
      assert.ok(
        listed.length > 0 && Math.max(...listed) >= found.name.length,
        `derivedNames() misses ${r.type} ${r.name} (${found.name})`,
      );
    }
    assert.ok(named >= 20, `only ${named} named resources`);
  });

  it("one character more stops the program before it registers anything, naming the limit", async () => {
    const stack = "s".repeat(longestStackName() + 1);
    const mocks = await useMocks(FULL, stack);
    await assert.rejects(
      irisStack(undefined, { buildRoot: build.dir }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes(`stack name ${stack} (${stack.length} characters)`) &&
        /over AWS's limit of \d+/.test(e.message) &&
        e.message.includes(`at most ${stack.length - 1} characters`),
    );
    assert.equal(mocks.resources.filter((r) => r.custom).length, 0);
  });

  it("lists every name that overflows, with the config key that brings it in", () => {
    const stack = "s".repeat(40);
    assert.throws(
      () => checkStackNames(PROJECT, stack, fullConfig()),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes(`S3 bucket prefix name ${PROJECT}-${stack}-models- is 59 characters`) &&
        /SageMaker endpoint configuration name \S+ is \d+ characters, over AWS's limit of 63 \(created because of iris-mlops:sagemaker\.enabled\)/.test(
          e.message,
        ),
    );
  });

  it("refuses stack names with characters S3, ECR and the deploy roles do not take", () => {
    for (const stack of ["Prod", "prod_eu", "prod.eu", "-prod", "prod-"]) {
      assert.throws(
        () => checkStackNames(PROJECT, stack, fullConfig()),
        (e: Error) => e instanceof ConfigError && e.message.includes("lower-case letters"),
        stack,
      );
    }
    assert.doesNotThrow(() => checkStackNames(PROJECT, "prod-eu-1", fullConfig()));
  });

  it("refuses an aws-native region other than the aws region", () => {
    assert.throws(
      () => checkRegions({ "aws:region": "eu-west-1", "aws-native:region": "us-east-1" }),
      (e: Error) =>
        e instanceof ConfigError &&
        /aws-native:region \(us-east-1\) must equal aws:region/.test(e.message),
    );
    assert.doesNotThrow(() =>
      checkRegions({ "aws:region": "eu-west-1", "aws-native:region": "eu-west-1" }),
    );
    assert.doesNotThrow(() => checkRegions({ "aws:region": "eu-west-1" }));
  });
});
