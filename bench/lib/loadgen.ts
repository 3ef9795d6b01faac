/**
 * Load generators: wrk (preferred; Debian's package, Lua scripts for POST bodies and request
 * mixes) and, when wrk cannot be had, autocannon from npm. Both report through one shape.
 *
 * wrk's latency percentiles come from its histogram in microseconds; autocannon reports whole
 * milliseconds (0 means under 1 ms), so its p50/p99 are coarse.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, splitArgv } from "./processes.js";

export interface HttpRequestSpec {
  /** A short name for reports. */
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status this request should get (checked once before a soak). */
  expect?: number;
}

export interface LoadResult {
  tool: "wrk" | "autocannon";
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** connect/read/write errors and timeouts: all socket-level failures. */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  errorStatuses: number;
  /** Responses by status code; only when asked for (counting costs the load generator time). */
  statuses?: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  /** One request repeated, or a list cycled through in order on every connection. */
  requests: HttpRequestSpec[];
  seconds: number;
  connections: number;
  /** Count responses by status code. */
  countStatuses?: boolean;
  /** e.g. ["taskset", "-c", "1"] to give the load generator its own core. */
  pin?: string[];
  /** Where the generated scripts go. */
  workDir: string;
}

/** A Lua string literal for any bytes: every character outside [A-Za-z0-9 ] as a \ddd escape. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9 ]/.test(c) ? c : `\\${byte.toString().padStart(3, "0")}`;
  }
  return `${out}"`;
}

const luaTable = (headers: Record<string, string>): string =>
  `{${Object.entries(headers)
    .map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`)
    .join(", ")}}`;

/** wrk's done(): one line `WRK_JSON {...}` with the summary, the latency percentiles (µs), statuses. */
const REPORT_LUA = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local statuses = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do statuses[k] = (statuses[k] or 0) + v end end
  end
  local parts = {}
  for k, v in pairs(statuses) do table.insert(parts, string.format('"%d":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,"statuses":{%s}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
`;

function wrkScript(requests: HttpRequestSpec[], countStatuses: boolean): string {
  let lua: string;
  const [first] = requests;
  if (requests.length === 1 && first) {
    // one fixed request: wrk builds it once, no Lua per request
    lua = `wrk.method = ${luaString(first.method)}\n`;
    if (first.body !== undefined) lua += `wrk.body = ${luaString(first.body)}\n`;
    for (const [k, v] of Object.entries(first.headers))
      lua += `wrk.headers[${luaString(k)}] = ${luaString(v)}\n`;
  } else {
    const specs = requests
      .map(
        (r) =>
          `  wrk.format(${luaString(r.method)}, ${luaString(r.path)}, ${luaTable(r.headers)}, ${
            r.body === undefined ? "nil" : luaString(r.body)
          }),`,
      )
      .join("\n");
    // each connection of a thread takes the next request of the cycle
    lua = `local reqs
local i = 0
function init(args)
  reqs = {
${specs}
  }
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
`;
  }
  if (countStatuses) {
    lua += `statuses = {}
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
`;
  }
  return lua + REPORT_LUA;
}

let counter = 0;

export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const script = join(options.workDir, `wrk-${process.pid}-${++counter}.lua`);
  writeFileSync(script, wrkScript(options.requests, options.countStatuses ?? false));
  const path = options.requests.length === 1 ? (options.requests[0]?.path ?? "/") : "/";
  const args = [
    "wrk",
    "-t",
    "1",
    "-c",
    String(options.connections),
    "-d",
    `${options.seconds}s`,
    "--timeout",
    "5s",
    "-s",
    script,
    `${options.url}${path}`,
  ];
  const [command, rest] = splitArgv([...(options.pin ?? []), ...args]);
  const { stdout } = await run(command, rest, { timeoutMs: (options.seconds + 60) * 1000 });
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice("WRK_JSON ".length)) as {
    requests: number;
    duration_us: number;
    connect: number;
    read: number;
    write: number;
    status: number;
    timeout: number;
    p50_us: number;
    p90_us: number;
    p99_us: number;
    max_us: number;
    statuses: Record<string, number>;
  };
  const seconds = r.duration_us / 1e6;
  return {
    tool: "wrk",
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50Ms: r.p50_us / 1000,
    p90Ms: r.p90_us / 1000,
    p99Ms: r.p99_us / 1000,
    maxMs: r.max_us / 1000,
    socketErrors: { connect: r.connect, read: r.read, write: r.write, timeout: r.timeout },
    errorStatuses: r.status,
    ...(options.countStatuses ? { statuses: r.statuses } : {}),
  };
}

interface AutocannonJson {
  requests: { total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "1xx": number;
  "2xx": number;
  "3xx": number;
  "4xx": number;
  "5xx": number;
}

/** autocannon has no request cycling on its command line: a mix runs one instance per request. */
export async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const n = options.requests.length;
  const runs = await Promise.all(
    options.requests.map(async (spec, index) => {
      const args = [
        "--yes",
        "autocannon@8",
        "-j",
        "-c",
        String(
          Math.max(
            1,
            Math.floor(options.connections / n) + (index < options.connections % n ? 1 : 0),
          ),
        ),
        "-d",
        String(options.seconds),
        "-m",
        spec.method,
      ];
      for (const [k, v] of Object.entries(spec.headers)) args.push("-H", `${k}: ${v}`);
      if (spec.body !== undefined) {
        // -b mangles bodies that start with "[": read the body from a file instead
        const file = join(options.workDir, `autocannon-${process.pid}-${++counter}.body`);
        writeFileSync(file, spec.body);
        args.push("-i", file);
      }
      args.push(`${options.url}${spec.path}`);
      const [command, rest] = splitArgv([...(options.pin ?? []), "npx", ...args]);
      const { stdout } = await run(command, rest, { timeoutMs: (options.seconds + 120) * 1000 });
      return JSON.parse(stdout.slice(stdout.indexOf("{"))) as AutocannonJson;
    }),
  );
  const sum = (f: (r: AutocannonJson) => number) => runs.reduce((a, r) => a + f(r), 0);
  const worst = (f: (r: AutocannonJson) => number) => Math.max(...runs.map(f));
  const requests = sum((r) => r.requests.total);
  const seconds = worst((r) => r.duration);
  const statuses: Record<string, number> = {};
  for (const cls of ["1xx", "2xx", "3xx", "4xx", "5xx"] as const)
    statuses[cls] = sum((r) => r[cls]);
  return {
    tool: "autocannon",
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: worst((r) => r.latency.p50),
    p90Ms: worst((r) => r.latency.p90),
    p99Ms: worst((r) => r.latency.p99),
    maxMs: worst((r) => r.latency.max),
    socketErrors: {
      connect: 0,
      read: sum((r) => r.errors),
      write: 0,
      timeout: sum((r) => r.timeouts),
    },
    errorStatuses: sum((r) => r["4xx"] + r["5xx"]),
    ...(options.countStatuses ? { statuses } : {}),
  };
}

/** Status counts folded into classes: 2xx, 4xx, 5xx… (autocannon's are classes already). */
export function statusClasses(statuses: Record<string, number>): Record<string, number> {
  const classes: Record<string, number> = {};
  for (const [code, count] of Object.entries(statuses)) {
    const cls = /^\dxx$/.test(code) ? code : `${code[0]}xx`;
    classes[cls] = (classes[cls] ?? 0) + count;
  }
  return classes;
}
