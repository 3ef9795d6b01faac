/**
 * A content hash of a Docker build context: every file the build can see (the context minus what
 * the ignore file excludes), by relative path, permissions and content, plus the Dockerfile and
 * the build arguments, and the other settings that change the image (platform, export). It names
 * the image's tag, so the same sources always get the same tag and any change that makes the
 * provider rebuild (its own context hash also covers permissions) gets a new one: the
 * repository's tags are immutable, and pushing an existing tag fails.
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

/** Docker's choice of ignore file: `<Dockerfile>.dockerignore` first, else `<context>/.dockerignore`. */
export function ignoreFileFor(context: string, dockerfile?: string): string | undefined {
  const candidates = [
    ...(dockerfile ? [`${dockerfile}.dockerignore`] : []),
    join(context, ".dockerignore"),
  ];
  return candidates.find((file) => existsSync(file));
}

/** Files of the context the build can see, relative and slash-separated, sorted. */
export function contextFiles(context: string, dockerfile?: string): string[] {
  const ignoreFile = ignoreFileFor(context, dockerfile);
  const rules = ignoreFile ? parseDockerignore(readFileSync(ignoreFile, "utf8")) : [];
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

/** sha256 (hex) of the context's visible files, the Dockerfile, the build arguments and settings. */
export function hashBuildContext(
  context: string,
  dockerfile: string,
  buildArgs: Readonly<Record<string, string>> = {},
  settings: Readonly<Record<string, string>> = {},
): string {
  const hash = createHash("sha256");
  const field = (value: string | Uint8Array) => {
    hash.update(String(Buffer.byteLength(value)));
    hash.update(":");
    hash.update(value);
  };
  for (const file of contextFiles(context, dockerfile)) {
    const full = join(context, file);
    const info = lstatSync(full);
    field(file);
    field((info.mode & 0o7777).toString(8));
    // a link is sent to the builder as a link: its target is its content
    field(info.isSymbolicLink() ? `-> ${readlinkSync(full)}` : readFileSync(full));
  }
  field("Dockerfile");
  field(readFileSync(dockerfile));
  for (const key of Object.keys(buildArgs).sort()) {
    field(`--build-arg ${key}`);
    field(buildArgs[key] as string);
  }
  for (const key of Object.keys(settings).sort()) {
    field(`--${key}`);
    field(settings[key] as string);
  }
  return hash.digest("hex");
}
