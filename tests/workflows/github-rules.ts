/**
 * What GitHub enforces when it runs the workflows, and STS when they assume roles, that
 * actionlint (one file at a time) does not check. Pure functions over parsed workflows, one
 * concern a file:
 * - workflows.ts, expressions.ts: the workflows and their expressions as GitHub reads them;
 * - grants.ts, runs.ts, permissions.ts: the GITHUB_TOKEN grant down through called workflows;
 * - calls.ts: inputs and secrets of `workflow_call`;
 * - oidc.ts: `id-token: write`, and the OIDC subject each job sends against the role's trust;
 * - names.ts: secrets and variables read, and reads of a name outside its environment;
 * - step-rules.ts: hidden artifact paths, and the steps that must run `if: always()`.
 */
export * from "./calls.js";
export * from "./expressions.js";
export * from "./grants.js";
export * from "./names.js";
export * from "./oidc.js";
export * from "./permissions.js";
export * from "./runs.js";
export * from "./step-rules.js";
export * from "./workflows.js";
