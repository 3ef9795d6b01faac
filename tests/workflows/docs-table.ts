/**
 * docs/ci-cd.md's table "Names the workflows read": each secret and variable, where a user sets
 * it, and (for roles and boundaries) the bootstrap output it holds. The workflow tests check the
 * workflows against it, so the docs cannot drift from what the workflows read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
export const CI_CD_DOC = readFileSync(join(ROOT, "docs", "ci-cd.md"), "utf8");

export interface Row {
  readonly name: string;
  readonly kind: string;
  readonly where: string;
  readonly value: string;
}

/** The rows of the table under `heading` in a markdown text. */
export function namesTable(markdown = CI_CD_DOC, heading = "### Names the workflows read"): Row[] {
  const start = markdown.indexOf(heading);
  if (start === -1) return [];
  const lines = markdown.slice(start).split("\n").slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith("|")));
  const rows = table.slice(
    0,
    table.findIndex((l) => !l.startsWith("|")),
  );
  return rows.slice(2).map((line) => {
    const [name = "", kind = "", where = "", value = ""] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    return { name: name.replace(/`/g, ""), kind, where, value };
  });
}

/** The bootstrap output a row says its value is, e.g. `deployRoleArns`. */
export const citedOutput = (r: Row | undefined) => r?.value.match(/bootstrap output `(\w+)`/)?.[1];
