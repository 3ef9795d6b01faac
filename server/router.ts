/**
 * Routing: exact paths, one method each. A trailing slash names the same route (`/predict/` is
 * `/predict`, as on the Lambda); the query string is ignored; a percent-encoded path is decoded
 * before matching (`/%70ing` is `/ping`, but `%2F` is no slash) and one that cannot be decoded
 * is a 400. A path with no route is a 404; a route asked with any other method is a 405 whose
 * `Allow` names the right one (HEAD is GET without the body). Every refusal is in the one error
 * shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "../serving/errors.js";
import type { Responder } from "./reply.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const routed = Symbol("route");
type Routed = ServerResponse & { [routed]?: string };

/** The path of the route that took the request of `res`; undefined when none did. */
export const routeOf = (res: ServerResponse): string | undefined => (res as Routed)[routed];

export interface Route {
  method: "GET" | "POST";
  path: string;
  handle: Handler;
}

/** The path of a request target, decoded: undefined when its percent-encoding is broken. */
function decodedPath(url: string): string | undefined {
  let end = url.length;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) {
      end = i;
      break;
    }
  }
  const raw = url.slice(0, end);
  if (!raw.includes("%")) return raw;
  try {
    // an encoded slash is not a separator: /predict%2F is not /predict/
    return decodeURIComponent(raw.replace(/%2f/gi, "%252F"));
  } catch {
    return undefined;
  }
}

/**
 * An absolute-form target (`http://host:port/predict`, RFC 9112 §3.2.2) as the origin form
 * a server is asked for (`/predict`): the host in it replaces Host (§3.3), and no route here
 * depends on the host.
 */
function originForm(url: string): string {
  const scheme = /^https?:\/\//i.exec(url);
  if (scheme === null) return url;
  const slash = url.indexOf("/", scheme[0].length);
  return slash < 0 ? "/" : url.slice(slash);
}

const withoutQuery = (url: string): string => url.split(/[?#]/, 1)[0] as string;

/**
 * The request listener for `routes`: node:http's `(req, res)`, also what inject drives. What a
 * route throws while it runs is answered by `reply.failure`.
 */
export function createRouter(routes: readonly Route[], reply: Responder): Handler {
  const byPath = new Map<string, Route>();
  for (const route of routes) {
    byPath.set(route.path, route);
    byPath.set(`${route.path}/`, route);
  }

  function slowLookup(req: IncomingMessage, res: ServerResponse): Route | undefined {
    const url = originForm(req.url ?? "/");
    const path = decodedPath(url);
    if (path === undefined) {
      reply.error(
        res,
        new HttpError(400, "bad_input", `'${withoutQuery(url)}' is not a valid url component`),
      );
      return undefined;
    }
    const route = byPath.get(path);
    if (route === undefined) {
      reply.error(
        res,
        new HttpError(
          404,
          "not_found",
          `no route ${req.method} ${withoutQuery(url)}; try POST /predict or POST /invocations`,
        ),
      );
    }
    return route;
  }

  return function dispatch(req, res) {
    // the usual request names its route exactly: one map lookup, no parsing
    const route = byPath.get(req.url as string) ?? slowLookup(req, res);
    if (route === undefined) return;
    // the route's path, never the URL: what metrics label the answer with (server/metrics.ts)
    (res as Routed)[routed] = route.path;
    const method = req.method;
    if (method === route.method || (method === "HEAD" && route.method === "GET")) {
      try {
        route.handle(req, res);
      } catch (error) {
        reply.failure(res, error);
      }
      return;
    }
    reply.error(
      res,
      new HttpError(
        405,
        "method_not_allowed",
        `${method} ${route.path} is not allowed; use ${route.method}`,
      ),
      { allow: route.method },
    );
  };
}
