/**
 * The fuzz coverage gate (`npm run fuzz:coverage`): every file c8 measured must have at least
 * the given share of its branches reached, and every function called, counting our code only
 * (a function never called has no branches in V8's coverage, only its own range).
 *
 * c8 also counts what tsx adds to each file when it compiles it to CommonJS: esbuild's helpers
 * and an export getter per name, all mapped to line 1 column 0 (the file's doc comment), and
 * the never-run `0 && (module.exports = {...})` appended to the module's top level, which is
 * the file's first branch (branch "0": the first block of top-level code, and these files'
 * top level only declares) and maps to somewhere in its last function. Those are no branch of
 * ours and no input reaches them, so they are left out; line 1 is checked to be a comment, so
 * that no code of ours can hide there.
 *
 *   node --import tsx tests/fuzz/coverage-gate.ts [min-percent, default 100] [coverage json]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface Position {
  line: number;
  column: number;
}
interface Range {
  start: Position;
  end: Position;
}
interface FileCoverage {
  branchMap: Record<string, { loc: Range }>;
  b: Record<string, number[]>;
  fnMap: Record<string, { name: string; loc: Range }>;
  f: Record<string, number>;
}

const minimum = Number(process.argv[2] ?? 100);
const coverage = JSON.parse(
  readFileSync(process.argv[3] ?? "coverage/coverage-final.json", "utf8"),
) as Record<string, FileCoverage>;

const atLineOne = ({ start }: Range) => start.line === 1 && start.column === 0;

/** Whether branch `id` at `loc` is tsx's, not ours (see above); `counts` are its hits. */
const fromWrapper = (id: string, loc: Range, counts: readonly number[]) =>
  atLineOne(loc) || (id === "0" && counts.every((n) => n === 0));

let failed = false;
const rows: string[] = [];
for (const [path, file] of Object.entries(coverage)) {
  const name = relative(process.cwd(), path);
  const lines = readFileSync(path, "utf8").split("\n");
  if (!lines[0]?.trimStart().startsWith("/*")) {
    rows.push(
      `FAIL ${name}: line 1 is not a comment, so the wrapper's entries cannot be told apart`,
    );
    failed = true;
    continue;
  }
  const where = ({ start }: Range, what: string) => `    ${start.line}:${start.column}  ${what}`;
  const branches = Object.entries(file.branchMap).filter(
    ([id, { loc }]) => !fromWrapper(id, loc, file.b[id] ?? []),
  );
  const missed = branches
    .filter(([id]) => (file.b[id] ?? []).every((count) => count === 0))
    .map(([, { loc }]) => where(loc, (lines[loc.start.line - 1] ?? "").trim().slice(0, 72)));
  const uncalled = Object.entries(file.fnMap)
    .filter(([id, { loc }]) => !atLineOne(loc) && file.f[id] === 0)
    .map(([, { name: fn, loc }]) => where(loc, `function ${fn} is never called`));
  const reached = branches.length - missed.length;
  const percent = branches.length === 0 ? 100 : (reached / branches.length) * 100;
  const ok = percent >= minimum && uncalled.length === 0;
  if (!ok) failed = true;
  rows.push(
    `${ok ? "ok  " : "FAIL"} ${name.padEnd(26)} ${String(reached).padStart(4)}/${String(branches.length).padEnd(4)} ${percent.toFixed(1).padStart(5)}%`,
    ...missed,
    ...uncalled,
  );
}
console.log(
  `Branches reached by the fuzzers (tsx's wrapper left out): at least ${minimum}% per file, and every function called`,
);
console.log(rows.join("\n"));
if (failed) {
  console.error(
    "fuzz coverage gate failed: a file is under the minimum or has a function never called",
  );
  process.exitCode = 1;
}
