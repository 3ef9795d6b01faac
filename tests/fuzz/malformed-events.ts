/**
 * API Gateway events that API Gateway would never send, each with the answer it must get: a
 * well-formed event (tests/helpers/events.ts) with one thing broken in it — a field the
 * handler reads given a value of the wrong type or left out, a body that is not valid base64,
 * `isBase64Encoded` as a string, headers past the limit, a second spelling of a header that
 * would hide a bad encoding from the check — or no event object at all.
 */
import fc from "fast-check";
import { MAX_EVENT_HEADER_BYTES } from "../../handlers/events.js";
import { apiEvent, type PayloadFormat } from "../helpers/events.js";

export interface MalformedEvent {
  format: PayloadFormat;
  /** What is broken, for the failure message. */
  what: string;
  event: unknown;
  /** The status it must get. */
  status: 400 | 415 | 431;
}

const BODY = '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}';

type Json = Record<string, unknown>;

function wellFormed(format: PayloadFormat, body = BODY): Json {
  return apiEvent(format, {
    method: "POST",
    path: "/predict",
    headers: { "Content-Type": "application/json" },
    body,
  }) as unknown as Json;
}

/** `event` with the field at `path` set to `value`, or removed when `value` is `REMOVE`. */
const REMOVE = Symbol("remove");
function withField(event: Json, path: readonly string[], value: unknown): Json {
  const copy = structuredClone(event);
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Json;
  const last = path[path.length - 1] as string;
  if (value === REMOVE) delete at[last];
  else at[last] = value;
  return copy;
}

type Kind = "string" | "number" | "boolean" | "object" | "array" | "null";
const kindOf = (value: unknown): Kind =>
  value === null ? "null" : Array.isArray(value) ? "array" : (typeof value as Kind);

/** A value of any JSON type, and a few that look right but are not (`"true"`, `""`, `["POST"]`). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, -1, "", "true", "false", "POST", "/predict", "2.0"),
  fc.constantFrom([], ["POST"], [{}], {}, { method: "POST" }, { "content-type": "x/y" }),
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

/**
 * The fields the handler reads, with the JSON types each may have (anything else is a 400).
 * A string field that must not be empty says so with `nonEmpty`.
 */
interface Field {
  path: readonly string[];
  allowed: readonly Kind[];
  nonEmpty?: boolean;
  /** The one value it may have. */
  only?: string;
  /** Leaving it out is a 400 too. */
  required?: boolean;
}
const COMMON: readonly Field[] = [
  { path: ["headers"], allowed: ["object", "null"] },
  { path: ["headers", "Content-Type"], allowed: ["string"] },
  { path: ["body"], allowed: ["string", "null"] },
  { path: ["isBase64Encoded"], allowed: ["boolean"] },
  { path: ["requestContext"], allowed: ["object"], required: true },
  { path: ["requestContext", "requestId"], allowed: ["string"] },
];
const FIELDS: Record<PayloadFormat, readonly Field[]> = {
  "1.0": [
    ...COMMON,
    { path: ["httpMethod"], allowed: ["string"], nonEmpty: true, required: true },
    { path: ["path"], allowed: ["string"], nonEmpty: true, required: true },
  ],
  "2.0": [
    ...COMMON,
    // any other version is read as payload 1.0, which this event is not
    { path: ["version"], allowed: [], only: "2.0", required: true },
    { path: ["rawPath"], allowed: ["string"], nonEmpty: true, required: true },
    { path: ["requestContext", "http"], allowed: ["object"], required: true },
    {
      path: ["requestContext", "http", "method"],
      allowed: ["string"],
      nonEmpty: true,
      required: true,
    },
    { path: ["requestContext", "stage"], allowed: ["string"] },
  ],
};

const format = fc.constantFrom<PayloadFormat>("1.0", "2.0");

/** A field the handler reads, given a value it may not have: another type, "" where it must not be empty. */
const wrongType: fc.Arbitrary<MalformedEvent> = format.chain((f) =>
  fc
    .tuple(fc.constantFrom(...FIELDS[f]), anyValue)
    .filter(([field, value]) =>
      field.only !== undefined
        ? value !== field.only
        : !field.allowed.includes(kindOf(value)) || (field.nonEmpty === true && value === ""),
    )
    .map(([field, value]) => ({
      format: f,
      what: `${field.path.join(".")} = ${JSON.stringify(value)}`,
      event: withField(wellFormed(f), field.path, value),
      status: 400 as const,
    })),
);

const missing: fc.Arbitrary<MalformedEvent> = format.chain((f) =>
  fc.constantFrom(...FIELDS[f].filter((field) => field.required)).map((field) => ({
    format: f,
    what: `no ${field.path.join(".")}`,
    event: withField(wellFormed(f), field.path, REMOVE),
    status: 400 as const,
  })),
);

/**
 * Base64 that is not: a character inserted or dropped (the length is no longer a multiple of
 * 4), or one replaced by a character outside the alphabet.
 */
const badBase64: fc.Arbitrary<MalformedEvent> = fc
  .tuple(
    format,
    fc.nat(),
    fc.constantFrom("insert", "drop", "replace", "padding bits"),
    fc.constantFrom("!", "*", " ", "\n", "-", "_", ".", "é", "\u0000", "="),
  )
  .map(([f, at, damage, junk]) => {
    const good = Buffer.from(BODY).toString("base64");
    const i = at % good.length;
    const body =
      damage === "padding bits"
        ? withPaddingBits(`${good.replace(/=+$/, "")}${"=".repeat(1 + (at % 2))}`)
        : damage === "insert"
          ? good.slice(0, i) + junk + good.slice(i)
          : damage === "drop"
            ? good.slice(0, i) + good.slice(i + 1)
            : good.slice(0, i) + (junk === "=" ? "!" : junk) + good.slice(i + 1);
    return {
      format: f,
      what: `base64 body ${JSON.stringify(body)}`,
      event: { ...wellFormed(f), body, isBase64Encoded: true },
      status: 400 as const,
    };
  });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The last character before the padding with its lowest bit flipped: bits base64 leaves 0. */
function withPaddingBits(padded: string): string {
  const j = padded.search(/=+$/) - 1;
  const flipped = ALPHABET[ALPHABET.indexOf(padded[j] as string) ^ 1] as string;
  return padded.slice(0, j) + flipped + padded.slice(j + 1);
}

/** `isBase64Encoded` as API Gateway never sends it: a string, a number, null. */
const base64Flag: fc.Arbitrary<MalformedEvent> = fc
  .tuple(format, fc.constantFrom("true", "false", "", "1", 0, 1, null, [], {}))
  .map(([f, flag]) => ({
    format: f,
    what: `isBase64Encoded = ${JSON.stringify(flag)}`,
    event: { ...wellFormed(f), isBase64Encoded: flag },
    status: 400 as const,
  }));

/** A body that is not a string: a JSON value where the text should be. */
const bodyNotText: fc.Arbitrary<MalformedEvent> = fc
  .tuple(
    format,
    fc.oneof(
      fc.constantFrom({ sepal_length: 5.1 }, [5.1, 3.5, 1.4, 0.2], 5.1, true, [], {}),
      fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== "string" && v !== null),
    ),
  )
  .map(([f, body]) => ({
    format: f,
    what: `body = ${JSON.stringify(body)}`,
    event: { ...wellFormed(f), body },
    status: 400 as const,
  }));

/** Headers past MAX_EVENT_HEADER_BYTES: one huge value or many small ones. */
const hugeHeaders: fc.Arbitrary<MalformedEvent> = fc
  .tuple(format, fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.constantFrom("a", "é", "🌸"))
  .map(([f, times, many, unit]) => {
    const event = wellFormed(f);
    const headers = { ...(event.headers as Record<string, string>) };
    const bytes = MAX_EVENT_HEADER_BYTES * times;
    if (many) for (let i = 0; i * 64 < bytes; i++) headers[`x-header-${i}`] = "v".repeat(64);
    else headers["x-big"] = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
    return {
      format: f,
      what: `${many ? "many headers" : "one header"} of ${bytes} bytes`,
      event: { ...event, headers },
      status: 431 as const,
    };
  });

/** Two spellings of one header, the second naming what the check refuses (payload 1.0 keeps both). */
const hiddenHeader: fc.Arbitrary<MalformedEvent> = fc
  .tuple(
    format,
    fc.constantFrom(
      ["content-encoding", "gzip"],
      ["CONTENT-ENCODING", "br"],
      // spelled unlike the event's own Content-Type (1.0) and content-type (2.0)
      ["CONTENT-TYPE", "application/json; charset=utf-16"],
      ["Content-type", "text/plain; charset=latin1"],
      ["CoNtEnT-TyPe", "application/json; charset=utf-8; charset=utf-16"],
    ),
    fc.boolean(),
  )
  .map(([f, [name, value], before]) => {
    const event = wellFormed(f);
    const own = event.headers as Record<string, string>;
    const headers = before ? { [name]: value, ...own } : { ...own, [name]: value };
    return {
      format: f,
      what: `headers ${JSON.stringify(headers)}`,
      event: { ...event, headers },
      status: 415 as const,
    };
  });

/** Not an event object at all. */
const notAnEvent: fc.Arbitrary<MalformedEvent> = fc
  .oneof(
    fc.constantFrom(null, undefined, 0, "", "POST /predict", true, [], [{}]),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    fc.string({ maxLength: 10 }),
    fc.double(),
  )
  .map((event) => ({ format: "1.0", what: `event ${JSON.stringify(event)}`, event, status: 400 }));

export const malformedEvent: fc.Arbitrary<MalformedEvent> = fc.oneof(
  { weight: 6, arbitrary: wrongType },
  { weight: 2, arbitrary: missing },
  { weight: 2, arbitrary: badBase64 },
  { weight: 1, arbitrary: base64Flag },
  { weight: 2, arbitrary: bodyNotText },
  { weight: 1, arbitrary: hugeHeaders },
  { weight: 2, arbitrary: hiddenHeader },
  { weight: 1, arbitrary: notAnEvent },
);
