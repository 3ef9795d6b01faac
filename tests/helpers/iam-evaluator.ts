/**
 * A small IAM evaluator for one principal's request, as AWS's policy evaluation logic decides it
 * within one account: an explicit Deny in any policy wins; otherwise the identity policies (or a
 * resource policy naming the principal) must allow it, and a permissions boundary, when set, must
 * allow it too. Conditions: the operators in OPERATORS (tests/helpers/iam-catalogue.ts), with
 * IAM's rules for a key the request does not carry (only the negated operators then match).
 */
import { globMatch, list, type PolicyDocument, type Statement, statements } from "./iam-policy.js";

export type Context = Record<string, string | string[]>;

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys the request carries (names as AWS spells them; compared case-insensitively). */
  readonly context?: Context;
}

export interface Principal {
  /** The caller: a role's ARN, or (for a trust policy) the OIDC provider's ARN or a service. */
  readonly arn: string;
  readonly identity: PolicyDocument[];
  readonly boundary?: PolicyDocument;
  /** Resource policies that apply to the requests evaluated (e.g. a bucket policy). */
  readonly resourcePolicies?: PolicyDocument[];
}

export type Decision = "allowed" | "denied explicitly" | "not allowed" | "outside the boundary";

function conditionHolds(operator: string, wanted: string[], actual: string[] | undefined): boolean {
  const any = (test: (w: string, a: string) => boolean) =>
    actual?.some((a) => wanted.some((w) => test(w, a))) ?? false;
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return any((w, a) => w === a);
    case "StringNotEquals":
      return !any((w, a) => w === a);
    case "StringLike":
    case "ArnLike":
      return any((w, a) => globMatch(w, a));
    case "StringNotLike":
      return !any((w, a) => globMatch(w, a));
    case "Bool":
      return any((w, a) => w.toLowerCase() === a.toLowerCase());
    default:
      throw new Error(`the evaluator does not implement the condition operator ${operator}`);
  }
}

function conditionsHold(st: Statement, context: Context): boolean {
  const lower = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), list(v)]));
  return Object.entries(st.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, wanted]) =>
      conditionHolds(
        operator,
        typeof wanted === "boolean" ? [String(wanted)] : list(wanted),
        lower.get(key.toLowerCase()),
      ),
    ),
  );
}

/** A resource or trust policy's Principal: an AWS ARN, an OIDC provider, or a service. */
function principalMatches(st: Statement, arn: string): boolean {
  if (st.Principal === undefined) return true;
  if (st.Principal === "*") return true;
  return Object.values(st.Principal as Record<string, string | string[]>)
    .flatMap(list)
    .some((p) => p === "*" || p === arn);
}

export function statementMatches(st: Statement, req: Request, principal = ""): boolean {
  if (st.NotAction || st.NotResource) throw new Error("NotAction/NotResource not implemented");
  return (
    list(st.Action).some((a) => globMatch(a, req.action, true)) &&
    // a trust policy names no Resource: it is the role's own
    (st.Resource === undefined || list(st.Resource).some((r) => globMatch(r, req.resource))) &&
    principalMatches(st, principal) &&
    conditionsHold(st, req.context ?? {})
  );
}

export function evaluate(p: Principal, req: Request): Decision {
  const matching = (docs: PolicyDocument[], effect: Statement["Effect"]) =>
    docs.flatMap(statements).some((st) => st.Effect === effect && statementMatches(st, req, p.arn));
  const everything = [
    ...p.identity,
    ...(p.boundary ? [p.boundary] : []),
    ...(p.resourcePolicies ?? []),
  ];
  if (matching(everything, "Deny")) return "denied explicitly";
  if (!matching(p.identity, "Allow") && !matching(p.resourcePolicies ?? [], "Allow")) {
    return "not allowed";
  }
  if (p.boundary && !matching([p.boundary], "Allow")) return "outside the boundary";
  return "allowed";
}
