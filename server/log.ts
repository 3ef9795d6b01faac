/**
 * The server's log: JSON lines in pino's shape (numeric `level`, `time` in epoch ms, `pid`,
 * `hostname`, `msg` last; an error under `err` as {type, message, stack}), so pino-pretty and
 * log queries written for the fastify server keep working. The server logs at start, at stop,
 * for every 5xx and once a minute the invocations summary (server/invocations-summary.ts); never
 * once per request.
 */
import { hostname } from "node:os";

export const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
} as const;
export type LevelName = keyof typeof LEVELS;

type Fields = Record<string, unknown>;
type LogMethod = (fields: Fields, msg: string) => void;

export interface Logger {
  readonly level: LevelName;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

function serialise(key: string, value: unknown): unknown {
  if (value instanceof Error && key === "err") {
    return { type: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

/**
 * A logger writing to `write` (standard output by default, as pino does). `name` is a name of
 * LEVELS in any case (`INFO` as Powertools spells it); anything else is refused at start rather
 * than logging nothing.
 */
export function createLogger(
  name: string,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const level = name.toLowerCase();
  if (!Object.hasOwn(LEVELS, level)) {
    throw new Error(
      `unknown log level ${JSON.stringify(name)}; use one of ${Object.keys(LEVELS).join(", ")}`,
    );
  }
  const threshold = LEVELS[level as LevelName];
  const base = { pid: process.pid, hostname: hostname() };
  const at =
    (value: number): LogMethod =>
    (fields, msg) => {
      if (value < threshold) return;
      const record = { level: value, time: Date.now(), ...base, ...fields, msg };
      write(`${JSON.stringify(record, serialise)}\n`);
    };
  return {
    level: level as LevelName,
    info: at(LEVELS.info),
    warn: at(LEVELS.warn),
    error: at(LEVELS.error),
  };
}

/** Logs nothing: the default of buildApp, as fastify's logger was off unless asked for. */
export const silentLogger: Logger = createLogger("silent", () => {});
