/**
 * Who may call a LambdaInferenceApi's protected routes (`auth`): anyone (`none`), AWS principals
 * that sign with SigV4 and hold `execute-api:Invoke` on the route (`iam`), or bearers of a JSON Web
 * Token from one issuer for one of the audiences (`jwt`: Amazon Cognito or any OIDC provider). The
 * mode decides which resources exist (a JWT authorizer or none), so it is a plain value, never an
 * Output; the issuer and the audiences may be Outputs (a user pool created in the same program).
 */
import type * as pulumi from "@pulumi/pulumi";
import { ArgumentError } from "./validate.js";

export const AUTH_MODES = ["none", "iam", "jwt"] as const;
export type ApiAuthMode = (typeof AUTH_MODES)[number];

export interface JwtAuth {
  readonly mode: "jwt";
  /**
   * The token issuer, an https URL equal to the tokens' `iss` claim; API Gateway reads its keys
   * from `<issuer>/.well-known/openid-configuration`. Cognito:
   * `https://cognito-idp.<region>.amazonaws.com/<user pool id>`.
   */
  readonly issuer: pulumi.Input<string>;
  /**
   * Accepted audiences, at least one: a token's `aud` (or, when it has none, its `client_id`, as
   * Cognito's access tokens) must be one of them.
   */
  readonly audience: pulumi.Input<string>[];
}

export type ApiAuth = "none" | "iam" | JwtAuth;

export const authModeOf = (auth: ApiAuth): ApiAuthMode =>
  typeof auth === "string" ? auth : auth.mode;

/** Where the JWT authorizer finds the token: `Authorization: Bearer <token>`. */
export const JWT_IDENTITY_SOURCE = "$request.header.Authorization";

/**
 * The request headers a browser may send cross-origin, per mode: a SigV4 signature travels in
 * `authorization` with its date, session token and payload hash in `x-amz-*` headers; a JWT in
 * `authorization`. CORS allows no header wildcard short of `*`, so they are named.
 */
export const CORS_ALLOW_HEADERS: Record<ApiAuthMode, readonly string[]> = {
  none: ["content-type"],
  iam: [
    "content-type",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
  ],
  jwt: ["content-type", "authorization"],
};

/** The issuer as AWS needs it, or the reason it is not: an https URL with a host and no query. */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `must be an https URL such as https://cognito-idp.<region>.amazonaws.com/<user pool id>, got ${JSON.stringify(issuer)}`;
  }
  if (url.protocol !== "https:") return `must use https, got ${issuer}`;
  if (url.search || url.hash || url.username || url.password) {
    return `must be the bare issuer URL (no query, fragment or credentials), got ${issuer}`;
  }
  return undefined;
}

/** The issuer, once known: refused with the argument's name when AWS would refuse it. */
export function checkIssuer(component: string, issuer: string): string {
  const problem = issuerProblem(issuer);
  if (problem) throw new ArgumentError(`${component}: auth.issuer ${problem}`);
  return issuer;
}

/** What can be checked before the deployment: the mode, a known issuer, the audiences. */
export function checkAuth(component: string, auth: ApiAuth): void {
  const mode = typeof auth === "string" ? auth : (auth as { mode?: unknown }).mode;
  if (!(AUTH_MODES as readonly unknown[]).includes(mode)) {
    throw new ArgumentError(
      `${component}: auth must be "none", "iam" or { mode: "jwt", issuer, audience }, got ${JSON.stringify(auth)}`,
    );
  }
  if (mode === "jwt" && typeof auth === "string") {
    throw new ArgumentError(
      `${component}: auth jwt needs the issuer and the audience: { mode: "jwt", issuer, audience }`,
    );
  }
  if (typeof auth === "string" || auth.mode !== "jwt") return;
  if (typeof auth.issuer === "string") checkIssuer(component, auth.issuer);
  else if (auth.issuer === undefined) {
    throw new ArgumentError(`${component}: auth.issuer is required for jwt`);
  }
  if (!Array.isArray(auth.audience) || auth.audience.length === 0) {
    throw new ArgumentError(
      `${component}: auth.audience must list at least one audience (e.g. the app client id), got ${JSON.stringify(auth.audience)}`,
    );
  }
  for (const audience of auth.audience) {
    if (audience === "" || (typeof audience === "string" && audience.trim() === "")) {
      throw new ArgumentError(`${component}: auth.audience has an empty entry`);
    }
  }
}
