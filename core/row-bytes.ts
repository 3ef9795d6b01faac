/**
 * The fast path of the batch readers (line-batch.ts): a line of four plain measurements read
 * straight from its ASCII bytes, CSV or JSON, into a Float64Array, with the doubles Number()
 * and JSON.parse give for the same text, and nothing made along the way. A line it does not
 * take (false) goes to the per-line readers, which decide what it is.
 *
 * A literal of at most 15 significant digits whose power of ten is within ±22 is exact as
 * `digits * 10^k` or `digits / 10^k`: both operands are exact doubles and one IEEE operation
 * rounds correctly, so the result is the correctly rounded value both parsers give (Clinger's
 * fast path). Any other literal is read by Number() on its text; a measurement is rarely one.
 * A line reaches it once its length is checked (MAX_LINE_BYTES), never before.
 */
import { MAX_FIELD_CHARS } from "./csv.js";
import { FEATURES } from "./features.js";
import { MIN_NORMAL } from "./input.js";

// module-level copies of imported values read per field: under tsx (the tests, the
// benchmarks) an imported binding is a getter call at every use
const FIELD_CHARS = MAX_FIELD_CHARS;
const SMALLEST = MIN_NORMAL;
const FEATURE_COUNT = FEATURES.length;
const COMMA = 0x2c;
const RETURN = 0x0d;

/** JSON's whitespace inside a line (a newline ends it). */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === RETURN;
/** What String.prototype.trim drops, among ASCII bytes other than the newline. */
const isTrimmed = (c: number) => c === 0x20 || (c >= 0x09 && c <= RETURN);

/** The feature names as bytes, to match a JSON key without decoding it. */
const KEYS = FEATURES.map((name) => Buffer.from(name, "latin1"));

/** 10^0 … 10^22: every one an exact double. */
const POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);

const DIGITS_EXACT = 15;

/** Where the last scan ended and what it read (module state: a scan allocates nothing). */
const scanned = { end: 0, value: 0 };

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

/**
 * Scans a number starting at `at` in `bytes` (up to `end`) in the grammar given, leaving its
 * end and value in `scanned`; returns false when there is no number there in that grammar.
 * `json`: JSON's grammar without the minus (`(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`); otherwise
 * core/csv.ts's isCsvNumber without the minus (`\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`). A minus
 * is left out of both because a negative measurement is refused anyway, by the per-line reader.
 */
function scanPositiveDecimal(bytes: Uint8Array, at: number, end: number, json: boolean): boolean {
  let i = at;
  if (!json && i < end && bytes[i] === 0x2b) i++; // +
  let significand = 0;
  let significant = 0;
  let exponent = 0;
  let integerDigits = 0;
  let fractionDigits = 0;
  for (; i < end && isDigit(bytes[i] as number); i++, integerDigits++) {
    const digit = (bytes[i] as number) - 0x30;
    if (significant > 0 || digit > 0) {
      significant++;
      significand = significand * 10 + digit;
    }
  }
  // JSON allows no leading zero before other digits
  if (json && (integerDigits === 0 || (integerDigits > 1 && bytes[at] === 0x30))) return false;
  if (i < end && bytes[i] === 0x2e) {
    i++; // .
    for (; i < end && isDigit(bytes[i] as number); i++, fractionDigits++) {
      const digit = (bytes[i] as number) - 0x30;
      if (significant > 0 || digit > 0) {
        significant++;
        significand = significand * 10 + digit;
      }
      exponent--;
    }
    if (json && fractionDigits === 0) return false;
  }
  if (integerDigits + fractionDigits === 0) return false;
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++; // e E
    let sign = 1;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) sign = bytes[i++] === 0x2d ? -1 : 1;
    const start = i;
    let power = 0;
    for (; i < end && isDigit(bytes[i] as number); i++)
      if (power < 100_000) power = power * 10 + ((bytes[i] as number) - 0x30);
    if (i === start) return false;
    exponent += sign * power;
  }
  scanned.end = i;
  // past 15 digits the significand is not kept exactly, and Number() reads the text
  if (significant <= DIGITS_EXACT && exponent >= -22 && exponent <= 22)
    scanned.value =
      exponent < 0
        ? significand / (POWERS[-exponent] as number)
        : significand * (POWERS[exponent] as number);
  else scanned.value = Number(latin1(bytes, at, i));
  return true;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** Whether `value` is a measurement every reader accepts as it is: positive, a normal double. */
const isMeasurement = (value: number) => value >= SMALLEST && value <= Number.MAX_VALUE;

/**
 * Reads a CSV field of one plain measurement at `i`, leaving its value in `scanned`; returns
 * where the field ends (at the comma or the line's end), or -1 if it is not such a field.
 */
function csvField(bytes: Uint8Array, i: number, end: number): number {
  let at = i;
  while (at < end && isTrimmed(bytes[at] as number)) at++;
  if (!scanPositiveDecimal(bytes, at, end, false)) return -1;
  if (scanned.end - at > FIELD_CHARS || !isMeasurement(scanned.value)) return -1;
  let next = scanned.end;
  while (next < end && isTrimmed(bytes[next] as number)) next++;
  return next;
}

/**
 * A CSV line of four plain measurements, into `values[at..at+3]` in feature order:
 * `columns[c]` is the feature of column c.
 */
export function csvRow(
  bytes: Uint8Array,
  start: number,
  end: number,
  columns: readonly number[],
  values: Float64Array,
  at: number,
): boolean {
  let i = start;
  for (let column = 0; column < FEATURE_COUNT; column++) {
    i = csvField(bytes, i, end);
    if (i < 0) return false;
    values[at + (columns[column] as number)] = scanned.value;
    if (column < FEATURE_COUNT - 1) {
      if (i >= end || bytes[i] !== COMMA) return false;
      i++;
    }
  }
  return i === end;
}

function skipJsonSpace(bytes: Uint8Array, i: number, end: number): number {
  let at = i;
  while (at < end && isJsonSpace(bytes[at] as number)) at++;
  return at;
}

/** The byte at `i` of a line ending at `end`; -1 past its end (the next line is not its). */
const byteAt = (bytes: Uint8Array, i: number, end: number) => (i < end ? (bytes[i] as number) : -1);

/** The feature whose name, in quotes, starts at `i`; -1 if none. */
function jsonKey(bytes: Uint8Array, i: number, end: number): number {
  if (byteAt(bytes, i, end) !== 0x22) return -1;
  for (let k = 0; k < FEATURE_COUNT; k++) {
    const key = KEYS[k] as Buffer;
    const close = i + 1 + key.length;
    if (close >= end || bytes[close] !== 0x22) continue;
    let same = true;
    for (let c = 0; c < key.length && same; c++) same = bytes[i + 1 + c] === key[c];
    if (same) return k;
  }
  return -1;
}

/** A JSON line `[a, b, c, d]` or `{"sepal_length": a, ...}` of plain measurements. */
export function jsonRow(
  bytes: Uint8Array,
  start: number,
  end: number,
  values: Float64Array,
  at: number,
): boolean {
  let i = skipJsonSpace(bytes, start, end);
  const open = byteAt(bytes, i, end);
  if (open !== 0x5b && open !== 0x7b) return false; // [ {
  const object = open === 0x7b;
  let seen = 0;
  for (let item = 0; item < FEATURE_COUNT; item++) {
    i = skipJsonSpace(bytes, i + 1, end);
    let feature = item;
    if (object) {
      feature = jsonKey(bytes, i, end);
      if (feature < 0 || seen & (1 << feature)) return false;
      seen |= 1 << feature;
      i = skipJsonSpace(bytes, i + 2 + (KEYS[feature] as Buffer).length, end);
      if (byteAt(bytes, i, end) !== 0x3a) return false; // :
      i = skipJsonSpace(bytes, i + 1, end);
    }
    if (!scanPositiveDecimal(bytes, i, end, true) || !isMeasurement(scanned.value)) return false;
    values[at + feature] = scanned.value;
    i = skipJsonSpace(bytes, scanned.end, end);
    const close = item < FEATURE_COUNT - 1 ? COMMA : object ? 0x7d : 0x5d; // , } ]
    if (byteAt(bytes, i, end) !== close) return false;
  }
  return skipJsonSpace(bytes, i + 1, end) === end;
}
