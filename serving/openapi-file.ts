/**
 * The committed OpenAPI document (openapi.json, written by `npm run openapi` from
 * serving/openapi.ts), as the Lambda answers it. The Lambda serves the file rather than
 * generating the document: generating bundles zod's JSON Schema generator and the document's
 * text, 42 KB where the file is 24 KB, and the bundle has a 200 KB budget
 * (tests/handlers/bundle.test.ts). tests/serving/openapi.test.ts checks the file is current, and
 * tests/serving/openapi-doors.test.ts that both doors answer the same bytes.
 */
import document from "../openapi.json";

let text: string | undefined;

/** openapi.json's text: 2-space JSON and a newline, as serving/openapi.ts writes it. */
export const committedOpenApiJson = (): string => {
  text ??= `${JSON.stringify(document, null, 2)}\n`;
  return text;
};
