/**
 * Checks an answer a front door gave against the OpenAPI document (serving/openapi.ts): its
 * status is one the operation lists, the headers it requires are there, every documented header
 * matches its schema, and the body is in a documented media type and valid against its schema
 * (JSON with ajv, JSON Schema 2020-12 as OpenAPI 3.1 takes it; each line of a line-based body
 * against the media type's `x-item-schema`). An unknown path must be a documented refusal, a
 * method the path does not take a 405 whose `Allow` names the one it does.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { openApiDocument } from "../../serving/openapi.js";

export type Door = "server" | "lambda";

export interface SeenAnswer {
  door: Door;
  method: string;
  /** The request target as sent: its query is ignored, a trailing slash names the same route. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | boolean | undefined>;
  body: string;
}

type Json = Record<string, unknown>;

const doc = openApiDocument() as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Json; responses: Record<string, Json>; headers: Record<string, Json> };
};
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "openapi.json", $defs: doc.components.schemas });

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
function validate(schema: unknown, value: unknown, where: string): void {
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (check === undefined) {
    check = ajv.compile(
      JSON.parse(key.replaceAll('"#/components/schemas/', '"openapi.json#/$defs/')) as Json,
    );
    compiled.set(key, check);
  }
  assert.ok(
    check(value),
    `${where}: ${ajv.errorsText(check.errors)}; got ${JSON.stringify(value)}`,
  );
}

/** A `$ref` into the document, followed (one level is all it uses). */
function resolved<T>(value: T | { $ref: string }): T {
  if (typeof value === "object" && value !== null && "$ref" in value) {
    const [, , kind, name] = value.$ref.split("/") as [string, string, string, string];
    return (doc.components as unknown as Record<string, Record<string, T>>)[kind]?.[name] as T;
  }
  return value as T;
}

/** The route a target names: an absolute-form target's path, percent-decoded, as the server reads it. */
const pathOf = (url: string): string => {
  let path = url.split(/[?#]/, 1)[0] as string;
  if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // not percent-encoding: the path as sent
  }
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
};

const headerValue = (headers: SeenAnswer["headers"], name: string): string | undefined => {
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name && value !== undefined) return String(value);
  return undefined;
};

/** Every path's refusals (the statuses any route may meet): a GET /'s, without its answers. */
function refusalsOfUnknownPath(): Record<string, Json> {
  const responses = { ...(doc.paths["/"]?.get?.responses as Record<string, Json>) };
  for (const status of Object.keys(responses)) if (status < "400") delete responses[status];
  delete responses["405"];
  return { ...responses, "404": doc.components.responses.NotFound as Json };
}

/** Throws an AssertionError saying what disagrees with the document. */
export function checkAnswer(seen: SeenAnswer): void {
  const where = `${seen.door}: ${seen.method} ${seen.url} → ${seen.status}`;
  const method = seen.method.toUpperCase();
  // a preflight is API Gateway's to answer (the document's description says the Lambda's 204)
  if (method === "OPTIONS" && seen.door === "lambda" && seen.status === 204) return;
  const known = doc.paths[pathOf(seen.url)];
  // a path only another door answers is no path of this one
  const onDoor = Object.values(known ?? {}).some((op) =>
    (op["x-doors"] as string[]).includes(seen.door),
  );
  const item = onDoor ? known : undefined;
  let responses: Record<string, Json>;
  if (item === undefined) {
    responses = refusalsOfUnknownPath();
  } else {
    const operation = item[method === "HEAD" ? "get" : method.toLowerCase()];
    if (operation === undefined) {
      const [allowed, only] = Object.entries(item)[0] as [string, Json];
      responses = only.responses as Record<string, Json>;
      assert.ok(seen.status >= 400, `${where}: the path does not take ${method}`);
      if (seen.status === 405)
        assert.equal(headerValue(seen.headers, "allow"), allowed.toUpperCase(), where);
    } else {
      responses = operation.responses as Record<string, Json>;
      if (seen.status < 400)
        assert.ok(
          (operation["x-doors"] as string[]).includes(seen.door),
          `${where}: the document does not put this operation on the ${seen.door}`,
        );
    }
  }
  const documented = responses[String(seen.status)];
  assert.ok(documented, `${where}: the document lists no ${seen.status} here`);
  const response = resolved(documented) as {
    headers?: Record<string, Json>;
    content?: Record<string, { schema: Json; "x-item-schema"?: Json }>;
  };
  for (const [name, ref] of Object.entries(response.headers ?? {})) {
    const spec = resolved(ref) as { required?: boolean; schema: Json };
    const value = headerValue(seen.headers, name);
    if (value === undefined) assert.ok(!spec.required, `${where}: no ${name} header`);
    else validate(spec.schema, value, `${where}, header ${name}`);
  }
  if (method === "HEAD" || response.content === undefined) {
    assert.equal(seen.body, "", `${where}: a body where the document has none`);
    return;
  }
  const type = headerValue(seen.headers, "content-type")?.split(";")[0]?.trim() ?? "";
  const media = response.content[type];
  assert.ok(media, `${where}: content-type ${type} is not one of ${Object.keys(response.content)}`);
  const item_ = media["x-item-schema"];
  if (item_ === undefined) {
    validate(media.schema, type === "application/json" ? JSON.parse(seen.body) : seen.body, where);
    return;
  }
  const lines = seen.body.endsWith("\n") ? seen.body.slice(0, -1).split("\n") : [seen.body];
  lines.forEach((line, i) => {
    validate(
      item_,
      type === "application/jsonlines" ? JSON.parse(line) : line,
      `${where}, line ${i + 1}`,
    );
  });
}
