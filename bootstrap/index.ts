/**
 * The one-off stack that lets GitHub Actions deploy iris-mlops with no stored AWS keys
 * (docs/ci-cd.md). Run once per AWS account by someone with IAM rights:
 *   cd bootstrap && pulumi stack init aws-account && pulumi config set repository owner/name
 *   pulumi up
 * A repository that sends immutable OIDC subjects (created after 2026-07-15, or renamed or moved
 * since) is given as owner@<id>/name@<id> (docs/ci-cd.md, "Who can assume it").
 * Config: repository (required), stacks (default ["dev","prod"]), oidcProviderArn (when the
 * account already has GitHub's provider).
 */
import * as pulumi from "@pulumi/pulumi";
import { GitHubDeployRoles } from "../components/github-deploy-roles.js";

const config = new pulumi.Config();
const roles = new GitHubDeployRoles("github", {
  repository: config.require("repository"),
  stacks: config.getObject<string[]>("stacks"),
  oidcProviderArn: config.get("oidcProviderArn"),
});

export const oidcProviderArn = roles.oidcProviderArn;
export const previewRoleArn = roles.previewRoleArn;
export const deployRoleArns = roles.deployRoleArns;
export const permissionsBoundaryArns = roles.boundaryArns;
