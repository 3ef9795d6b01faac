/**
 * LambdaInferenceApi's `auth` under the mocks: each mode's routes (authorization type and
 * authorizer), the JWT authorizer, public routes staying open, CORS headers, API_AUTH, and bad
 * arguments refused by name.
 */
import { strict as assert } from "node:assert";
import { type ApiAuth, checkIssuer } from "../../components/api-auth.js";
import {
  LambdaInferenceApi,
  type LambdaInferenceApiArgs,
} from "../../components/lambda-inference-api.js";
import { ArgumentError } from "../../components/validate.js";
import {
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  type Recorder,
  settle,
  useMocks,
  value,
} from "./harness.js";

const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
const JWT: ApiAuth = { mode: "jwt", issuer: ISSUER, audience: ["client-a", "client-b"] };
const PUBLIC = ["GET /", "GET /openapi.json"];
const PROTECTED = ["GET /health", "POST /predict"];
const ORIGINS = { corsAllowOrigins: ["https://app.example.com"] };

async function build(args: Partial<LambdaInferenceApiArgs> = {}) {
  const mocks = await useMocks();
  const api = new LambdaInferenceApi("api", {
    ...LAMBDA_MODEL,
    handlerEntry: FIXTURE_HANDLER,
    ...args,
  });
  await settle(mocks, [api.apiUrl, api.functionArn, api.invokeArns]);
  return { mocks, api };
}

/** Each route key with its authorization type and authorizer id. */
const routesOf = (mocks: Recorder) =>
  Object.fromEntries(
    mocks
      .all("aws:apigatewayv2/route:Route")
      .map((r) => [r.inputs.routeKey, [r.inputs.authorizationType, r.inputs.authorizerId]]),
  );

const allowHeaders = (mocks: Recorder) =>
  mocks.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration?.allowHeaders;
const env = (mocks: Recorder) =>
  mocks.one("aws:lambda/function:Function").inputs.environment.variables;

describe("LambdaInferenceApi auth", () => {
  it("none (the default): every route open, no authorizer, API_AUTH none, CORS for content-type only", async () => {
    const { mocks, api } = await build(ORIGINS);
    assert.equal(api.authMode, "none");
    assert.deepEqual(routesOf(mocks), {
      "POST /predict": ["NONE", undefined],
      "GET /health": ["NONE", undefined],
      "GET /": ["NONE", undefined],
      "GET /openapi.json": ["NONE", undefined],
    });
    assert.equal(mocks.all("aws:apigatewayv2/authorizer:Authorizer").length, 0);
    assert.equal(env(mocks).API_AUTH, "none");
    assert.deepEqual(allowHeaders(mocks), ["content-type"]);
  });

  it("keeps the children's names: predict and health as before, page and openapi new", async () => {
    const { mocks } = await build();
    assert.deepEqual(
      mocks
        .all("aws:apigatewayv2/route:Route")
        .map((r) => r.name)
        .sort(),
      ["api-route-health", "api-route-openapi", "api-route-page", "api-route-predict"],
    );
  });

  it("iam: POST /predict and GET /health need AWS_IAM, the page and the document stay open", async () => {
    const { mocks, api } = await build({ ...ORIGINS, auth: "iam" });
    assert.equal(api.authMode, "iam");
    const routes = routesOf(mocks);
    for (const key of PROTECTED) assert.deepEqual(routes[key], ["AWS_IAM", undefined], key);
    for (const key of PUBLIC) assert.deepEqual(routes[key], ["NONE", undefined], key);
    assert.equal(mocks.all("aws:apigatewayv2/authorizer:Authorizer").length, 0);
    assert.equal(env(mocks).API_AUTH, "iam");
    assert.deepEqual(allowHeaders(mocks), [
      "content-type",
      "authorization",
      "x-amz-date",
      "x-amz-security-token",
      "x-amz-content-sha256",
    ]);
  });

  it("jwt: one JWT authorizer on the Authorization header, for the issuer and audiences, on the protected routes only", async () => {
    const { mocks, api } = await build({ ...ORIGINS, auth: JWT });
    assert.equal(api.authMode, "jwt");
    const authorizer = mocks.one("aws:apigatewayv2/authorizer:Authorizer", "api-authorizer");
    assert.equal(authorizer.inputs.authorizerType, "JWT");
    assert.deepEqual(authorizer.inputs.identitySources, ["$request.header.Authorization"]);
    assert.deepEqual(authorizer.inputs.jwtConfiguration, {
      issuer: ISSUER,
      audiences: ["client-a", "client-b"],
    });
    assert.equal(
      authorizer.inputs.apiId,
      mocks.one("aws:apigatewayv2/route:Route", "api-route-predict").inputs.apiId,
    );
    assert.ok(api.authorizer);
    const id = await value(api.authorizer.id);
    assert.match(id, /^api-authorizer-/);
    const routes = routesOf(mocks);
    for (const key of PROTECTED) assert.deepEqual(routes[key], ["JWT", id], key);
    for (const key of PUBLIC) assert.deepEqual(routes[key], ["NONE", undefined], key);
    assert.equal(env(mocks).API_AUTH, "jwt");
    assert.deepEqual(allowHeaders(mocks), ["content-type", "authorization"]);
  });

  it("without CORS origins has no CORS configuration in any mode", async () => {
    for (const auth of ["iam", JWT] as ApiAuth[]) {
      const { mocks } = await build({ auth });
      assert.equal(mocks.one("aws:apigatewayv2/api:Api").inputs.corsConfiguration, undefined);
    }
  });

  it("takes the issuer and audiences as Outputs, checking the issuer once known", async () => {
    const { output } = await import("@pulumi/pulumi");
    const { mocks } = await build({
      auth: { mode: "jwt", issuer: output(ISSUER), audience: [output("client-a")] },
    });
    assert.deepEqual(mocks.one("aws:apigatewayv2/authorizer:Authorizer").inputs.jwtConfiguration, {
      issuer: ISSUER,
      audiences: ["client-a"],
    });
    // an issuer known only during the deployment goes through the same check there
    assert.throws(
      () => checkIssuer("LambdaInferenceApi", "http://idp.example.com"),
      (e: Error) =>
        e instanceof ArgumentError &&
        e.message === "LambdaInferenceApi: auth.issuer must use https, got http://idp.example.com",
    );
    assert.equal(checkIssuer("LambdaInferenceApi", ISSUER), ISSUER);
  });

  describe("refuses bad arguments by name", () => {
    before(async () => {
      await useMocks();
    });
    const refused = (auth: unknown, message: RegExp) =>
      assert.throws(
        () => new LambdaInferenceApi("bad", { ...LAMBDA_MODEL, auth: auth as ApiAuth }),
        (e: Error) => e instanceof ArgumentError && message.test(e.message),
      );

    it("an unknown mode", () => {
      refused(
        "cognito",
        /LambdaInferenceApi: auth must be "none", "iam" or \{ mode: "jwt", issuer, audience \}, got "cognito"/,
      );
      refused({ mode: "oauth" }, /auth must be "none", "iam"/);
    });

    it("jwt as a bare string, with no issuer or audience", () => {
      refused("jwt", /auth jwt needs the issuer and the audience/);
    });

    it("an issuer that is not an https URL", () => {
      refused(
        { mode: "jwt", issuer: "cognito-idp.eu-west-1.amazonaws.com/x", audience: ["a"] },
        /auth\.issuer must be an https URL/,
      );
      refused(
        { mode: "jwt", issuer: "http://idp.example.com", audience: ["a"] },
        /auth\.issuer must use https, got http:\/\/idp\.example\.com/,
      );
      refused(
        { mode: "jwt", issuer: "https://idp.example.com/?tenant=1", audience: ["a"] },
        /auth\.issuer must be the bare issuer URL/,
      );
      refused({ mode: "jwt", audience: ["a"] }, /auth\.issuer is required for jwt/);
    });

    it("no audience, or an empty one", () => {
      refused(
        { mode: "jwt", issuer: ISSUER, audience: [] },
        /auth\.audience must list at least one audience/,
      );
      refused({ mode: "jwt", issuer: ISSUER }, /auth\.audience must list at least one audience/);
      refused(
        { mode: "jwt", issuer: ISSUER, audience: "client-a" },
        /auth\.audience must list at least one audience/,
      );
      refused(
        { mode: "jwt", issuer: ISSUER, audience: ["a", " "] },
        /auth\.audience has an empty entry/,
      );
    });
  });
});
