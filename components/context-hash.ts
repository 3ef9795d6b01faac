/**
 * A content hash of a Docker build context: every file the build can see (the context minus what
 * .dockerignore excludes), by relative path and content, plus the Dockerfile and the build
 * arguments. It names the image's tag, so the same sources always get the same tag and any change
 * a build could see gets a new one (the repository's tags are immutable).
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative, sep } from "node:path";

interface Rule {
  readonly negated: boolean;
  readonly pattern: RegExp;
}

/** One .dockerignore pattern as a regular expression over slash-separated relative paths. */
function toRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        // `**/` matches any number of folders (none included), a trailing `**` everything below
        const slash = pattern[i + 2] === "/";
        source += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        source += "[^/]*";
      }
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  // a pattern also excludes everything under a folder it matches
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** Parse .dockerignore (Docker's syntax: comments, `!` exceptions, `*`, `?`, `**`; last match wins). */
export function parseDockerignore(text: string): Rule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const body = (negated ? line.slice(1) : line)
        .trim()
        .replace(/^\/+/, "")
        .replace(/\/+$/, "")
        .replace(/^\.\//, "");
      return { negated, pattern: toRegExp(body) };
    });
}

function ignored(rules: readonly Rule[], path: string): boolean {
  let result = false;
  for (const rule of rules) if (rule.pattern.test(path)) result = !rule.negated;
  return result;
}

/** Files of the context the build can see, relative and slash-separated, sorted. */
export function contextFiles(context: string): string[] {
  const ignoreFile = join(context, ".dockerignore");
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, "utf8")) : [];
  // with no exceptions an ignored folder can be skipped whole (node_modules, .git)
  const canPrune = !rules.some((r) => r.negated);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(context, full).split(sep).join("/");
      if (entry.isDirectory()) {
        if (!(canPrune && ignored(rules, rel))) walk(full);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !ignored(rules, rel)) {
        files.push(rel);
      }
    }
  };
  walk(context);
  return files.sort();
}

/** sha256 (hex) of the context's visible files, the Dockerfile and the build arguments. */
export function hashBuildContext(
  context: string,
  dockerfile: string,
  buildArgs: Readonly<Record<string, string>> = {},
): string {
  const hash = createHash("sha256");
  const field = (value: string | Uint8Array) => {
    hash.update(String(Buffer.byteLength(value)));
    hash.update(":");
    hash.update(value);
  };
  for (const file of contextFiles(context)) {
    const full = join(context, file);
    field(file);
    // a link is sent to the builder as a link: its target is its content
    field(lstatSync(full).isSymbolicLink() ? `-> ${readlinkSync(full)}` : readFileSync(full));
  }
  field("Dockerfile");
  field(readFileSync(dockerfile));
  for (const key of Object.keys(buildArgs).sort()) {
    field(`--build-arg ${key}`);
    field(buildArgs[key] as string);
  }
  return hash.digest("hex");
}
