/** Parsers for command-line values: a clear message instead of a NaN slipping through. */
import { InvalidArgumentError } from "commander";

export const integer = (value: string): number => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number");
  return n;
};

export const decimal = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new InvalidArgumentError("expected a number");
  return n;
};
