/**
 * GitHubDeployRoles: what GitHub Actions needs to deploy this project with no stored AWS keys.
 * GitHub's OIDC provider (or an existing one), and roles that only GitHub jobs of one repository
 * can assume, each for a short session:
 * - per stack, a deploy role for jobs running in the GitHub environment of the same name, allowed
 *   what `pulumi up` of that stack needs on the resources named `<project>-<stack>-*` (the
 *   project's Pulumi.yaml sets that naming pattern), and nothing else;
 * - a preview role for pull-request jobs, read-only on the project's resources.
 * Roles the deploy role creates must carry the permissions boundary created here, so a deploy
 * can never mint a role more powerful than the boundary (no escalation through iam:PassRole).
 * API Gateway HTTP APIs and Application Auto Scaling targets cannot be scoped by name (their ids
 * are random): the deploy role may manage those in its region (autoscaling: SageMaker's only);
 * docs/ci-cd.md says so. tests/infra/iam-*.test.ts evaluate these policies against the calls
 * each role makes (tests/infra/iam-calls.ts) and check them against AWS's IAM catalogue.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  boundaryStatements,
  deployStatements,
  previewStatements,
  type Statement,
} from "./deploy-role-statements.js";
import { ArgumentError } from "./validate.js";

export { boundaryStatements, deployStatements, previewStatements };

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const AUDIENCE = "sts.amazonaws.com";

export interface GitHubDeployRolesArgs {
  /**
   * The repository whose workflows may assume the roles, as GitHub's OIDC subject names it:
   * `owner/name`, or `owner@<owner id>/name@<repository id>` for a repository with immutable
   * subject claims (GitHub's default for repositories created after July 15, 2026). Required.
   */
  readonly repository: string;
  /** The stacks (and GitHub environments of the same names) to deploy. Default ["dev", "prod"]. */
  readonly stacks?: string[];
  /** The Pulumi project whose resources the roles manage. Default "iris-mlops". */
  readonly project?: string;
  /** ARN of the account's existing GitHub OIDC provider (an account has at most one). Default: create it. */
  readonly oidcProviderArn?: pulumi.Input<string>;
  /** Longest session a role grants, in seconds. Default 3600. */
  readonly maxSessionDuration?: number;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const REPOSITORY =
  /^(?:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]+@\d+\/[A-Za-z0-9_.-]+@\d+)$/;
const STACK = /^[a-z0-9][a-z0-9-]*$/;

export class GitHubDeployRoles extends pulumi.ComponentResource {
  readonly oidcProviderArn: pulumi.Output<string>;
  /** Per stack: the deploy role's ARN, for the GitHub environment's AWS_DEPLOY_ROLE_ARN. */
  readonly deployRoleArns: Record<string, pulumi.Output<string>>;
  /** The read-only role for pull-request previews (AWS_PREVIEW_ROLE_ARN). */
  readonly previewRoleArn: pulumi.Output<string>;
  /** Per stack: the boundary every role of that stack must carry (the stack's permissionsBoundaryArn). */
  readonly boundaryArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: GitHubDeployRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:GitHubDeployRoles", name, args, opts);
    const c = "GitHubDeployRoles";
    if (!REPOSITORY.test(args.repository)) {
      throw new ArgumentError(
        `${c}: repository must be owner/name, or owner@<owner id>/name@<repository id> when its OIDC subjects are immutable, got ${args.repository}`,
      );
    }
    const stacks = args.stacks ?? ["dev", "prod"];
    for (const stack of stacks) {
      if (!STACK.test(stack)) {
        throw new ArgumentError(
          `${c}: stack names must be lower-case letters, digits and -, got ${stack}`,
        );
      }
    }
    const project = args.project ?? "iris-mlops";
    const maxSessionDuration = args.maxSessionDuration ?? 3600;
    const parent = { parent: this };

    this.oidcProviderArn = args.oidcProviderArn
      ? pulumi.output(args.oidcProviderArn)
      : new aws.iam.OpenIdConnectProvider(
          `${name}-github-oidc`,
          { url: GITHUB_OIDC_URL, clientIdLists: [AUDIENCE], tags: args.tags },
          parent,
        ).arn;

    const scope = pulumi
      .all([
        aws.getPartitionOutput({}, parent).partition,
        aws.getRegionOutput({}, parent).region,
        aws.getCallerIdentityOutput({}, parent).accountId,
      ])
      .apply(([partition, region, account]) => ({ partition, region, account }));

    /** A role only this repository's jobs with `sub` may assume, through GitHub's OIDC tokens. */
    const trustedBy = (sub: string) =>
      pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: this.oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": AUDIENCE,
                "token.actions.githubusercontent.com:sub": sub,
              },
            },
          },
        ],
      });
    const policyDocument = (statements: pulumi.Input<Statement[]>) =>
      pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });

    this.deployRoleArns = {};
    this.boundaryArns = {};
    for (const stack of stacks) {
      const stackScope = scope.apply((s) => ({ ...s, project, stack }));
      const boundary = new aws.iam.Policy(
        `${name}-${stack}-boundary`,
        {
          description: `The most a role of the ${project} ${stack} stack may do`,
          policy: policyDocument(stackScope.apply(boundaryStatements)),
          tags: args.tags,
        },
        parent,
      );
      const role = new aws.iam.Role(
        `${name}-${stack}-deploy`,
        {
          description: `pulumi up of ${project}/${stack} from ${args.repository}, environment ${stack}`,
          assumeRolePolicy: trustedBy(`repo:${args.repository}:environment:${stack}`),
          maxSessionDuration,
          tags: args.tags,
        },
        parent,
      );
      new aws.iam.RolePolicy(
        `${name}-${stack}-deploy-policy`,
        {
          role: role.name,
          policy: policyDocument(
            pulumi.all([stackScope, boundary.arn]).apply(([s, arn]) => deployStatements(s, arn)),
          ),
        },
        parent,
      );
      this.deployRoleArns[stack] = role.arn;
      this.boundaryArns[stack] = boundary.arn;
    }

    const preview = new aws.iam.Role(
      `${name}-preview`,
      {
        description: `pulumi preview of ${project} from ${args.repository} pull requests (read-only)`,
        assumeRolePolicy: trustedBy(`repo:${args.repository}:pull_request`),
        maxSessionDuration,
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-preview-policy`,
      {
        role: preview.name,
        policy: policyDocument(scope.apply((s) => previewStatements({ ...s, project }))),
      },
      parent,
    );
    this.previewRoleArn = preview.arn;

    this.registerOutputs({
      oidcProviderArn: this.oidcProviderArn,
      deployRoleArns: this.deployRoleArns,
      previewRoleArn: this.previewRoleArn,
      boundaryArns: this.boundaryArns,
    });
  }
}
