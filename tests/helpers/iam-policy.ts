/**
 * IAM policy documents as AWS reads them: the JSON shape, and IAM's wildcard matching (`*` any run
 * of characters, `?` one), shared by the catalogue check and the evaluator.
 */

export type Values = string | string[];
export type Conditions = Record<string, Record<string, Values | boolean>>;

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: Values;
  NotAction?: Values;
  Resource?: Values;
  NotResource?: Values;
  Principal?: unknown;
  Condition?: Conditions;
}

export interface PolicyDocument {
  Version: string;
  Statement: Statement | Statement[];
}

/** What a document is for: it decides which fields it must and must not have. */
export type DocumentKind = "identity" | "boundary" | "resource" | "trust";

/** A document the programs create, and where it comes from (for messages). */
export interface FoundDocument {
  readonly origin: string;
  readonly kind: DocumentKind;
  readonly document: PolicyDocument;
}

export const list = (v: Values | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export const statements = (d: PolicyDocument): Statement[] =>
  Array.isArray(d.Statement) ? d.Statement : [d.Statement];

const cache = new Map<string, RegExp>();

/** IAM's glob: `*` any run of characters (`/` and `:` included), `?` one character. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const body = pattern
      .split("")
      .map((ch) =>
        ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&"),
      )
      .join("");
    re = new RegExp(`^${body}$`, ignoreCase ? "is" : "s");
    cache.set(key, re);
  }
  return re.test(value);
}
