/** Neighbouring doubles, as C's nextafter: the next representable double above or below x. */

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The smallest double greater than x (NaN stays NaN, +Infinity stays +Infinity). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE; // from +0 and -0 alike
  f64[0] = x;
  i64[0] = (i64[0] as bigint) + (x > 0 ? 1n : -1n);
  return f64[0] as number;
}

/** The largest double less than x (NaN stays NaN, -Infinity stays -Infinity). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}
