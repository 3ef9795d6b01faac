/**
 * `grantInvoke(role)` of the components: an inline policy on a caller's role allowing one action
 * on exactly the component's resources. Identity policies only: HTTP APIs have no resource
 * policies and a SageMaker endpoint has none either, so a grant reaches roles of the account
 * the component is in, never another account's.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ArgumentError } from "./validate.js";

/**
 * The name a role was created with (`new aws.iam.Role(<name>, …)`): the Pulumi SDK keeps it on
 * every resource as `__name`, outside its typed surface, so a caller may also pass one.
 */
export function logicalNameOf(component: string, role: aws.iam.Role, given?: string): string {
  const name = given ?? (role as unknown as { __name?: unknown }).__name;
  if (typeof name !== "string" || name === "") {
    throw new ArgumentError(
      `${component}: grantInvoke could not read the role's Pulumi name; pass one: grantInvoke(role, "<name>")`,
    );
  }
  return name;
}

export interface InvokeGrant {
  /** The component's name: the policy is `<component name>-invoke-<role name>`. */
  readonly owner: string;
  readonly roleName: string;
  readonly role: aws.iam.Role;
  readonly sid: string;
  readonly action: string;
  readonly resources: pulumi.Output<string[]>;
  readonly parent: pulumi.Resource;
}

export function grantInvokePolicy(grant: InvokeGrant): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy(
    `${grant.owner}-invoke-${grant.roleName}`,
    {
      role: grant.role.name,
      policy: grant.resources.apply((resources) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: grant.sid,
              Effect: "Allow",
              Action: grant.action,
              Resource: resources.length === 1 ? resources[0] : resources,
            },
          ],
        }),
      ),
    },
    { parent: grant.parent },
  );
}
