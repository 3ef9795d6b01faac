/** Seeded, stratified splits: every class keeps its share in each part, the same seed gives the same parts. */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

type Rng = ReturnType<typeof xoroshiro128plus>;

function shuffled(items: number[], rng: Rng): number[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/** Row indices of each class, each class's list shuffled by the seed. */
function shuffledByClass(labels: readonly number[], seed: number): number[][] {
  const rng = xoroshiro128plus(seed);
  const classes = Math.max(...labels) + 1;
  return Array.from({ length: classes }, (_, c) =>
    shuffled(
      labels.flatMap((label, i) => (label === c ? [i] : [])),
      rng,
    ),
  );
}

const ascending = (a: number, b: number) => a - b;

export interface Split {
  train: number[];
  test: number[];
}

/** Hold out `testFraction` of every class (rounded, at least one row per class when the fraction is > 0). */
export function stratifiedSplit(
  labels: readonly number[],
  testFraction: number,
  seed: number,
): Split {
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`test fraction must be between 0 and 1, got ${testFraction}`);
  const train: number[] = [];
  const test: number[] = [];
  for (const members of shuffledByClass(labels, seed)) {
    const held = Math.min(
      members.length - 1,
      Math.max(1, Math.round(members.length * testFraction)),
    );
    test.push(...members.slice(0, held));
    train.push(...members.slice(held));
  }
  return { train: train.sort(ascending), test: test.sort(ascending) };
}

/** k stratified folds: each row is in exactly one fold's test part. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): Split[] {
  if (!(Number.isInteger(k) && k >= 2))
    throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  const fold = new Array<number>(labels.length);
  let offset = 0;
  for (const members of shuffledByClass(labels, seed)) {
    if (members.length < k)
      throw new RangeError(`a class has ${members.length} rows, fewer than ${k} folds`);
    // continue the round-robin across classes so fold sizes stay even
    members.forEach((row, i) => {
      fold[row] = (offset + i) % k;
    });
    offset += members.length;
  }
  return Array.from({ length: k }, (_, f) => ({
    train: labels.flatMap((_, i) => (fold[i] !== f ? [i] : [])),
    test: labels.flatMap((_, i) => (fold[i] === f ? [i] : [])),
  }));
}
