/**
 * GitHub expressions in parsed workflows: where they are (every `${{ … }}`, and each `if`, which
 * GitHub reads as an expression with or without the braces), which names they read from a
 * context (`vars.X` and `vars['X']` alike, not a `'vars.X'` string, not `github.event.inputs.x`),
 * and the few values a rule can know without running the workflow.
 */
import type { Yaml } from "./workflows.js";

const EMBEDDED = /\$\{\{([\s\S]*?)\}\}/g;
const HAS_EXPRESSION = /\$\{\{/;

/** The expression texts of a YAML node and everything under it. */
export function expressionsOf(node: Yaml, key?: string): string[] {
  if (typeof node === "string") {
    const embedded = [...node.matchAll(EMBEDDED)].map((m) => m[1] as string);
    return key === "if" && embedded.length === 0 ? [node] : embedded;
  }
  if (Array.isArray(node)) return node.flatMap((n) => expressionsOf(n));
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => expressionsOf(v, k));
  }
  return [];
}

/** One context read: a string literal (skipped whole), `ctx.name` or `ctx['name']`. */
const readsOf = (context: string) =>
  new RegExp(
    String.raw`'(?:[^']|'')*'|(?<![\w.\]-])${context}\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*'((?:[^']|'')*)'\s*\])`,
    "gi",
  );

/** The names a node's expressions read from a context (`secrets`, `vars`, `inputs`), as written. */
export function contextNames(node: Yaml, context: string): Set<string> {
  const out = new Set<string>();
  for (const expression of expressionsOf(node)) {
    for (const m of expression.matchAll(readsOf(context))) {
      const name = m[1] ?? m[2]?.replaceAll("''", "'");
      if (name !== undefined) out.add(name);
    }
  }
  return out;
}

/** What is known of a job's `inputs` (its caller's `with`) and `matrix` (literal lists). */
export interface Known {
  readonly inputs?: Record<string, unknown>;
  readonly matrix?: Yaml;
}

const ONE = /^\$\{\{\s*(inputs|matrix)\s*(?:\.\s*([\w-]+)|\[\s*'([^']*)'\s*\])\s*\}\}$/i;

/** The values a matrix key takes: its literal list and what `include` adds. */
function matrixValues(matrix: Yaml, key: string): unknown[] | undefined {
  if (matrix === null || typeof matrix !== "object" || Array.isArray(matrix)) return undefined;
  const listed = matrix[key];
  if (listed !== undefined && !Array.isArray(listed)) return undefined;
  const included = Array.isArray(matrix.include)
    ? matrix.include.map((i: Yaml) => i?.[key]).filter((v: unknown) => v !== undefined)
    : [];
  const all = [...(listed ?? []), ...included];
  return all.length > 0 ? all : undefined;
}

/**
 * The values a string may take: itself when it has no expression, those of one `${{ inputs.x }}`
 * or `${{ matrix.x }}` when they are known literals, undefined when only a run would tell.
 */
export function valuesOf(text: unknown, known: Known): string[] | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text !== "string" || !HAS_EXPRESSION.test(text)) return [String(text)];
  const m = text.trim().match(ONE);
  if (!m) return undefined;
  const key = (m[2] ?? m[3]) as string;
  const values =
    m[1]?.toLowerCase() === "inputs"
      ? known.inputs && key in known.inputs
        ? [known.inputs[key]]
        : undefined
      : matrixValues(known.matrix, key);
  const literal = (v: unknown) =>
    v !== null && typeof v !== "object" && !HAS_EXPRESSION.test(String(v));
  return values?.every(literal) ? values.map(String) : undefined;
}

/** The environments a job runs in: none (`[]`), the names, or undefined when a run would tell. */
export function environmentNames(job: Yaml, known: Known): string[] | undefined {
  const env = job?.environment;
  if (env === undefined || env === null) return [];
  const name = typeof env === "object" ? env.name : env;
  return valuesOf(name, { ...known, matrix: job?.strategy?.matrix });
}
