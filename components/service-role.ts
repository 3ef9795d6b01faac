/**
 * An IAM role an AWS service assumes (Lambda, SageMaker), with one inline policy and no managed
 * policies: what a component's runtime may do, stated in one place.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The role arguments of a component that owns a service role (flat in its args). */
export interface RoleArgs {
  /**
   * ARN of a managed policy set as the role's permissions boundary: what the role may do at most,
   * whatever its own policy says. The deploy role of `GitHubDeployRoles` only creates roles that
   * carry its boundary. Default: none.
   */
  readonly permissionsBoundary?: pulumi.Input<string>;
}

export interface ServiceRoleArgs {
  /** The service principal, e.g. `lambda.amazonaws.com`. */
  readonly service: pulumi.Input<string>;
  /** A condition on the trust statement (e.g. `aws:SourceArn` against the confused deputy). Default: none. */
  readonly trustCondition?: pulumi.Input<Record<string, unknown>>;
  /** The inline policy's statements. */
  readonly statements: pulumi.Input<unknown[]>;
  readonly permissionsBoundary?: pulumi.Input<string>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** `<name>-role` and its `<name>-policy`; depend on the policy before the service uses the role. */
export function serviceRole(
  name: string,
  args: ServiceRoleArgs,
  opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: args.service },
            Action: "sts:AssumeRole",
            ...(args.trustCondition === undefined ? {} : { Condition: args.trustCondition }),
          },
        ],
      }),
      permissionsBoundary: args.permissionsBoundary,
      tags: args.tags,
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.name,
      policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: args.statements }),
    },
    opts,
  );
  return { role, policy };
}
