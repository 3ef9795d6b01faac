/**
 * The route catalogue: every route of the API, which front door answers it and, on the Lambda,
 * who may call it. The server's router (server/app.ts), the Lambda's routes (handlers/api.ts),
 * API Gateway's route table (components/lambda-http-api.ts) and the OpenAPI document
 * (serving/openapi.ts) are all read from here, so that no door answers a route the others do
 * not know of. HEAD is answered wherever GET is, without the body.
 */

export type RouteMethod = "GET" | "POST";

/** Who may call a route on the Lambda under `iam` or `jwt` auth (under `none`, anyone). */
export type RouteAccess = "public" | "protected";

export interface CatalogueRoute {
  readonly method: RouteMethod;
  readonly path: string;
  /** The OpenAPI operationId. */
  readonly operationId: string;
  readonly summary: string;
  /** Whether the HTTP server (`iris-mlops serve`, the SageMaker container) answers it. */
  readonly server: boolean;
  /**
   * On the Lambda behind API Gateway: the route child's name (`<name>-route-<child>`, kept as
   * stacks have them) and its access; absent when the Lambda does not answer it.
   */
  readonly lambda?: { readonly child: string; readonly access: RouteAccess };
}

export const ROUTE_CATALOGUE = [
  {
    method: "GET",
    path: "/",
    operationId: "page",
    summary: "The web page: measure a flower and see the prediction",
    server: true,
    lambda: { child: "page", access: "public" },
  },
  {
    method: "GET",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "The OpenAPI 3.1 document of every route (this one)",
    server: true,
    lambda: { child: "openapi", access: "public" },
  },
  {
    method: "POST",
    path: "/predict",
    operationId: "predict",
    summary: "Predict the species of one flower or a batch",
    server: true,
    lambda: { child: "predict", access: "protected" },
  },
  {
    method: "GET",
    path: "/health",
    operationId: "health",
    summary: "The model version and how it was verified",
    server: true,
    lambda: { child: "health", access: "protected" },
  },
  {
    method: "GET",
    path: "/ping",
    operationId: "ping",
    summary: "SageMaker's health check: 200 once the model is loaded",
    server: true,
  },
  {
    method: "POST",
    path: "/invocations",
    operationId: "invocations",
    summary: "SageMaker's predictions, in the body's Content-Type and the Accept asked for",
    server: true,
  },
  {
    method: "GET",
    path: "/execution-parameters",
    operationId: "executionParameters",
    summary: "What SageMaker batch transform may send at once",
    server: true,
  },
  {
    method: "GET",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics (unless the server runs with metrics off; never on the Lambda)",
    server: true,
  },
] as const satisfies readonly CatalogueRoute[];

export type RoutePath = (typeof ROUTE_CATALOGUE)[number]["path"];

type LambdaRoute = Extract<(typeof ROUTE_CATALOGUE)[number], { lambda: object }>;
type ServerRoute = Extract<(typeof ROUTE_CATALOGUE)[number], { server: true }>;

export const SERVER_ROUTES: readonly ServerRoute[] = ROUTE_CATALOGUE.filter(
  (route): route is ServerRoute => route.server,
);
export const LAMBDA_ROUTES: readonly LambdaRoute[] = ROUTE_CATALOGUE.filter(
  (route): route is LambdaRoute => "lambda" in route,
);

export type ServerPath = ServerRoute["path"];
export type LambdaPath = LambdaRoute["path"];

/** `METHOD /path`, as API Gateway names a route. */
export const routeKey = (route: { method: string; path: string }): string =>
  `${route.method} ${route.path}`;
