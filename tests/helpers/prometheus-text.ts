/**
 * A strict reader of Prometheus's text exposition format 0.0.4, for the tests of GET /metrics:
 * every line is blank, a comment (`# HELP name text`, `# TYPE name type`, or any other `#`
 * line), or a sample `name{label="value",…} value`. Anything else throws, naming the line.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** A sample's value as Prometheus reads it (Go's ParseFloat: Inf and NaN in any case). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  // prom-client writes "Nan" (an event-loop lag not measured yet)
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`not a sample value: ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

/** The labels of `rest` (just after `{`) and what follows the closing `}`. */
function parseLabels(
  rest: string,
  line: string,
): { labels: Record<string, string>; after: string } {
  const labels: Record<string, string> = {};
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} in ${JSON.stringify(line)}`);
  };
  for (;;) {
    if (rest[at] === "}") return { labels, after: rest.slice(at + 1) };
    const name = LABEL_NAME.exec(rest.slice(at))?.[0] ?? fail("a label name expected");
    at += name.length;
    if (rest.slice(at, at + 2) !== '="') fail(`="…" expected after label ${name}`);
    at += 2;
    let value = "";
    for (;;) {
      const c = rest[at] ?? fail("unterminated label value");
      at++;
      if (c === '"') break;
      if (c === "\\") {
        const escaped = rest[at++];
        if (escaped === "n") value += "\n";
        else if (escaped === "\\" || escaped === '"') value += escaped;
        else fail("bad escape in a label value");
      } else value += c;
    }
    if (name in labels) fail(`label ${name} twice`);
    labels[name] = value;
    if (rest[at] === ",") at++;
    else if (rest[at] !== "}") fail("`,` or `}` expected after a label");
  }
}

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
      if (type !== null) {
        if (!TYPES.has(type[2] as string))
          throw new Error(`unknown type in ${JSON.stringify(line)}`);
        types.set(type[1] as string, type[2] as string);
      } else if (
        line.startsWith("# TYPE") ||
        (line.startsWith("# HELP") && !/^# HELP \S+ /.test(line))
      )
        throw new Error(`malformed comment ${JSON.stringify(line)}`);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`not a sample: ${JSON.stringify(line)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, after: rest } = parseLabels(rest.slice(1), line));
    const parts = rest.split(" ");
    // ` value` or ` value timestamp`
    if (parts[0] !== "" || parts.length < 2 || parts.length > 3)
      throw new Error(`not a sample: ${JSON.stringify(line)}`);
    if (parts.length === 3 && !/^-?\d+$/.test(parts[2] as string))
      throw new Error(`bad timestamp in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value: parseValue(parts[1] as string, line) });
  }
  return { samples, types };
}

/** The samples named `name` whose labels include `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one sample named `name` with exactly-matching `labels`' values; 0 when there is none. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samplesOf(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value ?? 0;
}
