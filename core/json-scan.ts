/**
 * One pass over a JSON text before JSON.parse, for what JSON.parse takes too long over or
 * changes without a word: nesting past MAX_JSON_DEPTH (a few MiB of `[` is valid JSON that
 * JSON.parse takes seconds over in one step), a key given twice in one object (JSON.parse keeps
 * the last), and a number literal a double cannot hold (JSON.parse reads 1e-999 as 0, 1e999 as
 * Infinity). Linear in the text: every character is looked at once, a key is copied once, and
 * the path of a problem is built once, for the first.
 *
 * The paths are right for valid JSON. On text that is not JSON the scan stays linear and may
 * name a wrong place or none, which does not matter: callers run JSON.parse before they report
 * a problem the scan found, so broken JSON is reported as broken JSON.
 */
import { FEATURES } from "./features.js";
import { fieldPath, InputError, numberLiteralProblem } from "./input.js";

/** How deep a body may nest: `{"instances": [[...]]}` is 3 levels. */
export const MAX_JSON_DEPTH = 8;

export interface JsonScan {
  /** The text nests past MAX_JSON_DEPTH: the scan stopped there, and JSON.parse must not run. */
  tooDeep: boolean;
  /** The first key given twice or number out of range, named as core/input names fields. */
  problem: InputError | undefined;
}

interface Frame {
  /** An object, or an array. */
  object: boolean;
  /** An object's keys so far (a list: a row has four, and a list of four beats a Set). */
  keys: string[];
  /** The same keys, once there are many of them. */
  many: Set<string> | undefined;
  /** An object's current key. */
  key: string;
  /** An array's current index. */
  index: number;
  /** In an object: the next string is a key. */
  expectKey: boolean;
  /** An array read as one row (its items are named by feature): not a batch, not in an object. */
  row: boolean;
}

/** Keys an object keeps in its list before it keeps them in a Set too. */
const FEW_KEYS = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;

/**
 * A literal without an exponent that is this short is a normal double: 300 digits stay under
 * 1e300, and 0.(297 zeros)1 is 1e-298. Only longer ones, or ones with an exponent, are read.
 */
const SHORT_LITERAL = 300;

/** Where the scan is, as core/input names it: `instances[3].petal_width`. */
function pathOf(frames: readonly Frame[], depth: number): string {
  let path = "";
  for (let d = 0; d < depth; d++) {
    const frame = frames[d] as Frame;
    if (frame.object) path = fieldPath(path, frame.key);
    else if (d === depth - 1 && frame.row && frame.index < FEATURES.length)
      path = fieldPath(path, FEATURES[frame.index] as string);
    else path += `[${frame.index}]`;
  }
  return path;
}

/** Whether `frame` already has `key`; adds it if not. */
function repeated(frame: Frame, key: string): boolean {
  if (frame.many !== undefined) {
    if (frame.many.has(key)) return true;
    frame.many.add(key);
    return false;
  }
  if (frame.keys.includes(key)) return true;
  frame.keys.push(key);
  if (frame.keys.length === FEW_KEYS) frame.many = new Set(frame.keys);
  return false;
}

/** The end of the string token that starts at `start` (the index of its closing quote, or the text's end). */
function stringEnd(text: string, start: number): number {
  let at = start;
  for (;;) {
    const quote = text.indexOf('"', at + 1);
    if (quote < 0) return text.length;
    // a quote after an odd run of backslashes is escaped; each backslash is counted once
    let backslashes = 0;
    while (quote - backslashes - 1 > at && text.charCodeAt(quote - backslashes - 1) === BACKSLASH)
      backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote;
  }
}

/** A key as JSON.parse reads it; `inner` is the string token without its quotes. */
function decodedKey(inner: string): string {
  if (!inner.includes("\\")) return inner;
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    return inner; // not JSON: JSON.parse refuses the whole text anyway
  }
}

/**
 * The frames of the scan, kept from call to call: a 6 MiB body of JSON lines is 300,000 calls,
 * and one that opens 60,000 objects opens them at the same few depths. scanJson runs to its end
 * without calling out, so no two calls share them at once.
 */
const frames: Frame[] = [];

const NOTHING_FOUND: JsonScan = Object.freeze({ tooDeep: false, problem: undefined });

/** `scan`, once the kept frames let go of their keys (an object of 100,000 keys is 100,000 strings). */
function finished(scan: JsonScan): JsonScan {
  for (const frame of frames) frame.many = undefined;
  return scan;
}

export function scanJson(text: string): JsonScan {
  let depth = 0;
  let problem: InputError | undefined;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      i = stringEnd(text, start);
      const top = depth > 0 ? (frames[depth - 1] as Frame) : undefined;
      if (top === undefined || !top.expectKey) continue;
      top.expectKey = false;
      top.key = decodedKey(text.slice(start + 1, i));
      if (problem === undefined && repeated(top, top.key))
        problem = new InputError(
          pathOf(frames, depth),
          "appears twice in one object; send each field once (JSON parsers keep only one of them)",
        );
    } else if ((c >= 0x30 && c <= 0x39) || c === MINUS) {
      // a number: digits - + . e E
      const start = i;
      let exponent = false;
      while (++i < end) {
        const n = text.charCodeAt(i);
        if (n >= 0x30 && n <= 0x39) continue;
        if (n === 0x65 || n === 0x45) exponent = true;
        else if (n !== 0x2e && n !== MINUS && n !== 0x2b) break;
      }
      i--;
      if (problem !== undefined || (!exponent && i + 1 - start <= SHORT_LITERAL)) continue;
      const why = numberLiteralProblem(text.slice(start, i + 1));
      if (why !== undefined) problem = new InputError(pathOf(frames, depth), why);
    } else if (c === COMMA) {
      if (depth === 0) continue;
      const top = frames[depth - 1] as Frame;
      top.index++;
      top.expectKey = top.object;
    } else if (c === 0x5b || c === 0x7b) {
      // [ {
      if (depth === MAX_JSON_DEPTH) return finished({ tooDeep: true, problem });
      const parent = depth > 0 ? (frames[depth - 1] as Frame) : undefined;
      // an array whose first item is an array or object is a batch (core/input's isBatch)
      if (parent !== undefined && !parent.object && parent.index === 0) parent.row = false;
      const object = c === 0x7b;
      let frame = frames[depth];
      if (frame === undefined) {
        frame = {
          object,
          keys: [],
          many: undefined,
          key: "",
          index: 0,
          expectKey: object,
          row: false,
        };
        frames.push(frame);
      }
      frame.object = object;
      frame.keys.length = 0;
      frame.many = undefined;
      frame.index = 0;
      frame.expectKey = object;
      frame.row = !object && (parent === undefined || !parent.object);
      depth++;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--; // ] }
  }
  return finished(problem === undefined ? NOTHING_FOUND : { tooDeep: false, problem });
}
