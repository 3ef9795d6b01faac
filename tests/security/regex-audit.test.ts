/**
 * Every regular expression in the project's code (everything but tests/) is checked by recheck's
 * automaton checker for super-linear backtracking. The regexes are found by scanning the sources
 * with TypeScript's parser, so a new one is audited without anyone listing it; a RegExp built
 * from something that is not a constant must be listed below with the shapes it can take.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkSync } from "recheck";
import ts from "typescript";
import { REPO_ROOT } from "../helpers/trained.js";

const SKIPPED = new Set(["node_modules", "tests", "dist", ".git", "docs"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return SKIPPED.has(entry.name) || entry.name.startsWith(".") ? [] : sourceFiles(path);
    return /\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

interface Found {
  where: string;
  source: string;
  flags: string;
}

/**
 * RegExps built at run time from values a scan cannot know, each with the sources it can produce.
 * `where` is file:line of the `new RegExp`.
 */
const DYNAMIC: Record<string, { why: string; instances: string[] }> = {
  "components/context-hash.ts": {
    why: "a .dockerignore pattern of the repository (deploy time, not request input): * is [^/]*, ? is [^/], **/ is (?:.*/)?",
    instances: [
      "^(?:.*/)?[^/]*\\.ts(?:/.*)?$",
      "^node_modules(?:/.*)?$",
      "^[^/]*\\.md(?:/.*)?$",
      "^a[^/]b[^/]*c[^/]*(?:.*/)?d.*(?:/.*)?$",
    ],
  },
  "core/artifact.ts": {
    why: "hex(length): a fixed count of hex digits, called with 16 and 64",
    instances: ["^[0-9a-f]{16}$", "^[0-9a-f]{64}$"],
  },
};

/** Folders whose code runs on requests, model files or CLI input: every regex there must be safe. */
const ON_INPUT = ["core/", "serving/", "server/", "handlers/", "cli/", "sagemaker/"];

/**
 * Regexes the checker finds polynomial that only ever run on the project's own configuration,
 * never on a request, a model or CLI input: file → why. Anything else must be safe.
 */
const CONFIGURATION_ONLY: Record<string, string> = {
  "bench/cpuprofile-summary.ts": "script URLs of a CPU profile we recorded ourselves",
  "components/context-hash.ts":
    ".dockerignore patterns and file paths of the repository, read at `pulumi up`",
  "components/model-bucket.ts": "the stack's name, cut to 36 characters first",
  "components/sagemaker-endpoint-args.ts": "the stack's resource name, cut to 63 characters first",
  "components/training-image.ts": "the Pulumi project and stack names",
};

/** The value of a constant string expression, resolving `const` names in the same file. */
function constant(
  node: ts.Expression,
  consts: Map<string, ts.Expression>,
  depth = 0,
): string | undefined {
  if (depth > 10) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return constant(node.expression, consts, depth + 1);
  if (ts.isIdentifier(node)) {
    const value = consts.get(node.text);
    return value ? constant(value, consts, depth + 1) : undefined;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = constant(node.left, consts, depth + 1);
    const right = constant(node.right, consts, depth + 1);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  if (ts.isTemplateExpression(node)) {
    let text = node.head.text;
    for (const span of node.templateSpans) {
      const value = constant(span.expression, consts, depth + 1);
      if (value === undefined) return undefined;
      text += value + span.literal.text;
    }
    return text;
  }
  return undefined;
}

function scan(file: string): { found: Found[]; dynamic: string[] } {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const name = relative(REPO_ROOT, file);
  const consts = new Map<string, ts.Expression>();
  const found: Found[] = [];
  const dynamic: string[] = [];
  const where = (node: ts.Node) =>
    `${name}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const collect = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const list = node.parent;
      if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const)
        consts.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, collect);
  };
  collect(sf);
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = (node as ts.RegularExpressionLiteral).text;
      const slash = literal.lastIndexOf("/");
      found.push({
        where: where(node),
        source: literal.slice(1, slash),
        flags: literal.slice(slash + 1),
      });
    }
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "RegExp"
    ) {
      const [pattern, flags] = node.arguments ?? [];
      const source = pattern && constant(pattern, consts);
      const flagText = flags ? constant(flags, consts) : "";
      if (source === undefined || flagText === undefined) dynamic.push(where(node));
      else found.push({ where: where(node), source, flags: flagText });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { found, dynamic };
}

describe("regex audit (recheck, automaton checker)", function () {
  this.timeout(300_000);
  const files = sourceFiles(REPO_ROOT);
  const scans = files.map(scan);
  const found = scans.flatMap((s) => s.found);
  const dynamic = scans.flatMap((s) => s.dynamic);

  it("finds the project's regexes (the scan works)", () => {
    assert.ok(files.some((f) => f.endsWith(join("server", "media-type.ts"))));
    assert.ok(found.length >= 20, `found only ${found.length}`);
    assert.ok(
      found.some((f) => f.where.startsWith("server/media-type.ts")),
      "the media type regex built from constants",
    );
  });

  it("every RegExp built at run time is listed with the shapes it takes", () => {
    for (const site of dynamic) {
      const file = site.slice(0, site.lastIndexOf(":"));
      assert.ok(
        DYNAMIC[file],
        `${site}: a RegExp from a non-constant; build it from constants or list it in DYNAMIC`,
      );
    }
    for (const file of Object.keys(DYNAMIC)) {
      assert.ok(
        dynamic.some((site) => site.startsWith(`${file}:`)),
        `${file} is listed in DYNAMIC but builds no RegExp any more`,
      );
    }
  });

  it("tolerates polynomial regexes only in files that never see input, and says why", () => {
    for (const [file, why] of Object.entries(CONFIGURATION_ONLY)) {
      assert.ok(why.length > 0 && files.some((f) => relative(REPO_ROOT, f) === file), file);
      assert.ok(!ON_INPUT.some((folder) => file.startsWith(folder)), file);
    }
  });

  it("every regex is safe: no super-linear backtracking", () => {
    const all = [
      ...found,
      ...Object.entries(DYNAMIC).flatMap(([where, { instances }]) =>
        instances.map((source) => ({ where: `${where} (instance)`, source, flags: "" })),
      ),
    ];
    const unsafe = all.flatMap(({ where, source, flags }) => {
      const result = checkSync(source, flags, { checker: "automaton" });
      const file = where.split(/[: ]/)[0] as string;
      const tolerated =
        result.status === "vulnerable" &&
        CONFIGURATION_ONLY[file] !== undefined &&
        !ON_INPUT.some((folder) => file.startsWith(folder));
      return result.status === "safe" || tolerated
        ? []
        : [
            `${where} /${source}/${flags}: ${result.status}${result.status === "vulnerable" ? ` (${result.complexity.summary})` : ""}`,
          ];
    });
    assert.deepEqual(unsafe, []);
  });
});
