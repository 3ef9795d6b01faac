/**
 * Where a server's CPU time goes, from a V8 .cpuprofile (node --cpu-prof): self time by owner
 * (node's internals, each npm package, this project's files, V8's GC), the top functions, and
 * the inclusive time of the functions named on the command line.
 *
 *   taskset -c 0 node --cpu-prof --cpu-prof-dir=/tmp/prof dist/cli/main.js serve --port 8080 &
 *   taskset -c 1 wrk -c 50 -d 10s -s post.lua http://127.0.0.1:8080/invocations; kill %1
 *   npx tsx bench/cpuprofile-summary.ts /tmp/prof/*.cpuprofile predictBatch parseInvocation
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function owner({ url, functionName }: CallFrame): string {
  if (url === "") return functionName.startsWith("(") ? functionName : `(native) ${functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  if (url.startsWith("node:")) return `node ${url.slice(5).replace(/^internal\//, "internal/")}`;
  const ours = /\/dist\/(.+)$/.exec(url);
  if (ours) return `ours ${ours[1]}`;
  return url;
}

function main(): void {
  const [file, ...inclusiveNames] = process.argv.slice(2);
  if (!file) throw new Error("usage: cpuprofile-summary.ts FILE.cpuprofile [functionName…]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)")
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, t] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === "(idle)") continue;
    const o = owner(frame);
    byOwner.set(o, (byOwner.get(o) ?? 0) + t);
    const f = `${frame.functionName || "(anonymous)"} ${o}:${frame.lineNumber + 1}`;
    byFunction.set(f, (byFunction.get(f) ?? 0) + t);
  }

  // inclusive: a sample counts once for a name if the name is anywhere on its stack
  const inclusive = new Map<string, number>(inclusiveNames.map((n) => [n, 0]));
  if (inclusiveNames.length > 0) {
    profile.samples.forEach((id, i) => {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const name = byId.get(cur)?.callFrame.functionName ?? "";
        if (inclusive.has(name)) seen.add(name);
      }
      for (const name of seen)
        inclusive.set(name, (inclusive.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }

  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const lines = [
    `${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (percentages of busy time)`,
    "",
    "self time by owner:",
    ...[...byOwner]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([o, t]) => `  ${pct(t)}  ${o}`),
    "",
    "top functions (self):",
    ...[...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([f, t]) => `  ${pct(t)}  ${f}`),
  ];
  if (inclusiveNames.length > 0) {
    lines.push("", "inclusive time:");
    for (const [name, t] of inclusive) lines.push(`  ${pct(t)}  ${name}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main();
