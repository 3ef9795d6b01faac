/**
 * Checks of plain argument values, so a wrong value fails in `pulumi preview` with the argument's
 * name instead of minutes later in an AWS API error. Values that are still Outputs are left to AWS.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

export class ArgumentError extends Error {
  override readonly name = "ArgumentError";
}

/** A plain value, not an Output or a promise (those are only known during the deployment). */
const known = <T>(value: pulumi.Input<T> | undefined): value is T =>
  typeof value === "number" || typeof value === "string" || typeof value === "boolean";

export function checkInteger(
  component: string,
  arg: string,
  value: pulumi.Input<number> | undefined,
  min: number,
  max: number,
): void {
  if (known(value) && !(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ArgumentError(
      `${component}: ${arg} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
}

export function checkOneOf<T>(
  component: string,
  arg: string,
  value: pulumi.Input<T> | undefined,
  allowed: readonly T[],
): void {
  if (known(value) && !allowed.includes(value)) {
    throw new ArgumentError(
      `${component}: ${arg} must be one of ${allowed.join(", ")}, got ${String(value)}`,
    );
  }
}
