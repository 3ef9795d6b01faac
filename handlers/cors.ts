/**
 * CORS for browsers calling the API, from a list of allowed origins (or `*`). An allowed origin
 * may also read `x-model-version` (a browser hides every other header from the page).
 */
import { MODEL_VERSION_HEADER } from "../serving/model-version-headers.js";

const EXPOSED = { "access-control-expose-headers": MODEL_VERSION_HEADER };

export function corsHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  if (allowed.length === 0) return {};
  if (allowed.includes("*")) return { "access-control-allow-origin": "*", ...EXPOSED };
  if (origin && allowed.includes(origin))
    return { "access-control-allow-origin": origin, vary: "origin", ...EXPOSED };
  return { vary: "origin" };
}

export const PREFLIGHT_HEADERS = {
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type",
  "access-control-max-age": "600",
};

export function parseOrigins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
}
