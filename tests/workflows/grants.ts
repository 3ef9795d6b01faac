/**
 * GITHUB_TOKEN grants as GitHub reads a `permissions` value. The scopes are those of GitHub's own
 * workflow schema (the one `@actions/workflow-parser` validates with), so a scope GitHub adds is
 * compared too instead of being silently skipped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Yaml } from "./workflows.js";

const SCHEMA = join(
  __dirname,
  "..",
  "..",
  "node_modules",
  "@actions",
  "workflow-parser",
  "dist",
  "workflow-v1.0.min.json",
);

export const SCOPES: readonly string[] = Object.keys(
  JSON.parse(readFileSync(SCHEMA, "utf8")).definitions["permissions-mapping"].mapping.properties,
);

export type Level = "none" | "read" | "write";
export type Grant = Readonly<Record<string, Level>>;

const all = (level: Level): Grant => Object.fromEntries(SCOPES.map((s) => [s, level]));

/** A `permissions` value as GitHub reads it: naming any scope sets every unnamed one to none. */
export function grantOf(permissions: Yaml): Grant {
  if (permissions === "read-all") return all("read");
  if (permissions === "write-all") return all("write");
  if (permissions === null || typeof permissions !== "object") {
    throw new Error(`permissions must be read-all, write-all or a map, not ${permissions}`);
  }
  return { ...all("none"), ...permissions };
}

/**
 * The grant of a workflow with no `permissions` anywhere: the repository's default, which an
 * admin sets to "permissive" (read/write) or "restricted". We assume the strictest, restricted:
 * contents and packages read, everything else none. `id-token` is none under both: a job gets
 * it only by asking.
 */
export const RESTRICTED_DEFAULT: Grant = grantOf({ contents: "read", packages: "read" });

const RANK: Record<Level, number> = { none: 0, read: 1, write: 2 };

/** Each scope `asked` holds above `allowed`: `[scope, asked, allowed]`. */
export const exceeding = (asked: Grant, allowed: Grant): [string, Level, Level][] =>
  SCOPES.flatMap((scope) => {
    const a = asked[scope] ?? "none";
    const b = allowed[scope] ?? "none";
    return RANK[a] > RANK[b] ? [[scope, a, b] as [string, Level, Level]] : [];
  });
