/**
 * The OpenAPI document (serving/openapi.ts): a valid OpenAPI 3.1 document by a maintained
 * validator, the committed openapi.json is it, its routes are the catalogue's and API Gateway's,
 * and docs/api.md names every route, status and error code in it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ROUTE_TABLE } from "../../components/lambda-http-api.js";
import { API_DOC, OPENAPI_FILE, withRoutesTable } from "../../scripts/openapi.js";
import { ERROR_STATUS } from "../../serving/errors.js";
import { openApiDocument, openApiJson } from "../../serving/openapi.js";
import { LAMBDA_ROUTES, ROUTE_CATALOGUE, routeKey } from "../../serving/routes.js";

type Operation = { "x-doors": string[]; responses: Record<string, unknown> };
const doc = openApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { description: string }> };
};
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)", async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(openApiJson()));
    assert.equal(validator.version, "3.1");
    assert.deepEqual(result, { valid: true });
  });

  it("is what openapi.json at the repo root holds (npm run openapi writes it)", () => {
    assert.equal(
      readFileSync(OPENAPI_FILE, "utf8"),
      openApiJson(),
      "openapi.json is stale: run npm run openapi",
    );
  });

  it("docs/api.md's route table is the catalogue's (npm run openapi writes it)", () => {
    const api = readFileSync(API_DOC, "utf8");
    assert.equal(
      api,
      withRoutesTable(api),
      "docs/api.md's route table is stale: run npm run openapi",
    );
  });

  it("ships in the npm package", () => {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8"));
    assert.ok(pkg.files.includes("openapi.json"));
  });

  it("has one operation per catalogue route, on the doors the catalogue names", () => {
    assert.deepEqual(
      operations.map(({ method, path, op }) => [routeKey({ method, path }), op["x-doors"]]),
      ROUTE_CATALOGUE.map((route) => [
        routeKey(route),
        [...(route.server ? ["server"] : []), ...("lambda" in route ? ["lambda"] : [])],
      ]),
    );
  });

  it("puts on the Lambda exactly API Gateway's routes, protected as API Gateway protects them", () => {
    const onLambda = operations.filter(({ op }) => op["x-doors"].includes("lambda"));
    assert.deepEqual(
      onLambda.map(({ method, path }) => routeKey({ method, path })).sort(),
      ROUTE_TABLE.map((r) => r.routeKey).sort(),
    );
    for (const { routeKey: key, access } of ROUTE_TABLE) {
      const [method, path] = key.split(" ") as [string, string];
      const op = doc.paths[path]?.[method.toLowerCase()] as Operation & { security?: unknown };
      assert.equal(op.security !== undefined, access === "protected", key);
    }
    assert.deepEqual(
      ROUTE_TABLE.filter((r) => r.access === "public").map((r) => r.routeKey),
      ["GET /", "GET /openapi.json"],
    );
    assert.equal(LAMBDA_ROUTES.length, ROUTE_TABLE.length);
  });

  it("gives every error code under its status, and no code under another", () => {
    const seen = new Set<string>();
    const refusals = operations.flatMap(({ op }) => Object.entries(op.responses));
    for (const [status, response] of [...refusals, ["404", { $ref: "#/x/y/NotFound" }] as const]) {
      const ref = (response as { $ref?: string }).$ref;
      if (ref === undefined) continue;
      const name = ref.split("/").at(-1) as string;
      const described = doc.components.responses[name]?.description ?? "";
      for (const [, code] of described.matchAll(/`([a-z_]+)`/g)) {
        assert.equal(ERROR_STATUS[code as keyof typeof ERROR_STATUS], Number(status), code);
        seen.add(code as string);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(ERROR_STATUS).sort());
  });

  it("is agreed with by docs/api.md: every route, status and error code is in it", () => {
    const api = readFileSync(resolve(__dirname, "../../docs/api.md"), "utf8");
    for (const { method, path, op } of operations) {
      assert.ok(
        api.includes(`\`${method} ${path}\``),
        `docs/api.md never names \`${method} ${path}\``,
      );
      for (const status of Object.keys(op.responses))
        assert.match(
          api,
          new RegExp(`\\b${status}\\b`),
          `docs/api.md never gives status ${status}`,
        );
    }
    for (const [code, status] of Object.entries(ERROR_STATUS))
      assert.match(
        api,
        new RegExp(`\\| ${status} \\| \`${code}\` \\|`),
        `docs/api.md's error table has no row ${status} ${code}`,
      );
  });
});
