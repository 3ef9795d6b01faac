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

/** What AWS accepts as the name of one kind of resource. */
export interface NameRule {
  /** The kind of resource, for messages ("SageMaker endpoint configuration"). */
  readonly kind: string;
  readonly max: number;
  /** The characters (and shape) AWS allows; checked on the whole name. */
  readonly pattern: RegExp;
  /** The same rule in words, for messages. */
  readonly allowed: string;
}

const CODEDEPLOY: Omit<NameRule, "kind"> = {
  max: 100,
  pattern: /^[A-Za-z0-9._+=,@-]+$/,
  allowed: "letters, digits and ._+=,@-",
};

const SAGEMAKER: Omit<NameRule, "kind"> = {
  max: 63,
  pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/,
  allowed: "letters, digits and -, starting and ending with a letter or digit",
};

/**
 * AWS's name limits for the resources the components name or auto-name (each service's API
 * reference, CreateX request parameters). S3 `bucketPrefix` is the provider's own limit: it
 * appends a 26-character unique suffix to reach S3's 63.
 */
export const NAME_RULES = {
  bucketPrefix: {
    kind: "S3 bucket prefix",
    max: 37,
    pattern: /^[a-z0-9][a-z0-9.-]*$/,
    allowed: "lower-case letters, digits, . and -",
  },
  iamRole: {
    kind: "IAM role",
    max: 64,
    pattern: /^[\w+=,.@-]+$/,
    allowed: "letters, digits and +=,.@_-",
  },
  iamRolePolicy: {
    kind: "IAM role policy",
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    allowed: "letters, digits and +=,.@_-",
  },
  lambdaFunction: {
    kind: "Lambda function",
    max: 64,
    pattern: /^[a-zA-Z0-9_-]+$/,
    allowed: "letters, digits, _ and -",
  },
  logGroup: {
    kind: "CloudWatch log group",
    max: 512,
    pattern: /^[\w./#-]+$/,
    allowed: "letters, digits and ._-/#",
  },
  alarm: {
    kind: "CloudWatch alarm",
    max: 255,
    pattern: /^[^\p{Cc}]+$/u,
    allowed: "no control characters",
  },
  dashboard: {
    kind: "CloudWatch dashboard",
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "letters, digits, _ and -",
  },
  snsTopic: {
    kind: "SNS topic",
    max: 256,
    pattern: /^[\w-]+$/,
    allowed: "letters, digits, _ and -",
  },
  httpApi: { kind: "API Gateway API", max: 128, pattern: /^.+$/, allowed: "any characters" },
  ecrRepository: {
    kind: "ECR repository",
    max: 256,
    pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    allowed: "lower-case letters, digits and ._-/, starting and ending with a letter or digit",
  },
  scalingPolicy: {
    kind: "Application Auto Scaling policy",
    max: 256,
    pattern: /^[^:]+$/,
    allowed: "no :",
  },
  firehoseStream: {
    kind: "Firehose stream",
    max: 64,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    allowed: "letters, digits and _.-",
  },
  codedeployApplication: { kind: "CodeDeploy application", ...CODEDEPLOY },
  codedeployConfig: { kind: "CodeDeploy deployment configuration", ...CODEDEPLOY },
  sagemakerModel: { kind: "SageMaker model", ...SAGEMAKER },
  sagemakerEndpointConfig: { kind: "SageMaker endpoint configuration", ...SAGEMAKER },
  sagemakerEndpoint: { kind: "SageMaker endpoint", ...SAGEMAKER },
} as const satisfies Record<string, NameRule>;

/** The first way `name` breaks `rule`, or undefined when AWS accepts it. */
export function nameProblem(rule: NameRule, name: string): string | undefined {
  if (name.length > rule.max) {
    return `${rule.kind} name ${name} is ${name.length} characters, over AWS's limit of ${rule.max}`;
  }
  if (!rule.pattern.test(name)) {
    return `${rule.kind} name ${name} has characters AWS does not allow (${rule.allowed})`;
  }
  return undefined;
}
