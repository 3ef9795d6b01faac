/**
 * `npm run openapi`: write the OpenAPI document (serving/openapi.ts) to openapi.json at the repo
 * root, where the package and the docs ship it, and the route table of docs/api.md between its
 * markers, both from the route catalogue (tests/serving/openapi.test.ts checks both are current).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { openApiJson } from "../serving/openapi.js";
import { ROUTE_CATALOGUE, routeKey } from "../serving/routes.js";

/** Where the package ships it (package.json "files"). */
export const OPENAPI_FILE = resolve(__dirname, "..", "openapi.json");
export const API_DOC = resolve(__dirname, "..", "docs", "api.md");

const START = "<!-- routes: written by npm run openapi from serving/routes.ts -->";
const END = "<!-- routes end -->";

/** The route table: every route, what it does, and which door answers it. */
export function routesTable(): string {
  const rows = ROUTE_CATALOGUE.map((route) => {
    const lambda =
      "lambda" in route
        ? `yes (${route.lambda.access === "public" ? "public" : "protected under iam/jwt"})`
        : "no";
    return `| \`${routeKey(route)}\` | ${route.summary} | ${route.server ? "yes" : "no"} | ${lambda} |`;
  });
  return [
    START,
    "| route | what | server and container | Lambda |",
    "|---|---|---|---|",
    ...rows,
    END,
  ].join("\n");
}

/** `markdown` with its route table replaced by the current one. */
export function withRoutesTable(markdown: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${API_DOC} has no route table markers`);
  return `${markdown.slice(0, start)}${routesTable()}${markdown.slice(end + END.length)}`;
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, openApiJson());
  writeFileSync(API_DOC, withRoutesTable(readFileSync(API_DOC, "utf8")));
  console.log(`wrote ${OPENAPI_FILE} and the route table of ${API_DOC}`);
}
