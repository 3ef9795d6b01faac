/**
 * A CodeDeploy fake for Lambda deployments, on the JSON 1.1 protocol (target prefix
 * CodeDeploy_20141006). One application and deployment group; CreateDeployment checks the
 * revision as AWS documents it (an AppSpecContent whose sha256 matches, a Lambda AppSpec naming
 * the function, the alias, the version the alias serves and the target) and refuses a second
 * active deployment in the group. A deployment follows a script, one step per GetDeployment, and
 * moves the alias in the Lambda fake's store as CodeDeploy would: a share of traffic on the
 * target while it runs, all of it when it succeeds, and back through a rollback deployment when
 * a step stops or fails it with `rollBack`.
 */
import { createHash } from "node:crypto";
import type * as CD from "@aws-sdk/client-codedeploy";
import { awsJsonProtocol } from "./json-protocol.js";
import type { Aliases } from "./lambda.js";
import { type LambdaAppSpecProperties, parseLambdaAppSpec } from "./lambda-appspec.js";
import { AwsFault, FakeService, type Handlers } from "./service.js";

export type CodeDeployOperations = {
  CreateDeployment: [CD.CreateDeploymentInput, CD.CreateDeploymentOutput];
  GetDeployment: [CD.GetDeploymentInput, CD.GetDeploymentOutput];
  GetDeploymentConfig: [CD.GetDeploymentConfigInput, CD.GetDeploymentConfigOutput];
  GetDeploymentTarget: [CD.GetDeploymentTargetInput, CD.GetDeploymentTargetOutput];
  ListDeployments: [CD.ListDeploymentsInput, CD.ListDeploymentsOutput];
  ListDeploymentTargets: [CD.ListDeploymentTargetsInput, CD.ListDeploymentTargetsOutput];
};

/** What GetDeployment answers the n-th time it is asked about a deployment. */
export interface Step {
  readonly status: CD.DeploymentStatus;
  /** Percent of traffic on the target version. */
  readonly weight?: number;
  readonly error?: CD.ErrorInformation;
  /** On Failed or Stopped: the group rolls back (a rollback deployment moves the alias back). */
  readonly rollBack?: boolean;
  /** The alias stays as it was: a status the alias does not bear out. */
  readonly leavesAlias?: boolean;
}

/** A canary: created, 10 % for two polls, then all traffic. */
export const CANARY: Step[] = [
  { status: "Created" },
  { status: "InProgress", weight: 0 },
  { status: "InProgress", weight: 10 },
  { status: "InProgress", weight: 10 },
  { status: "Succeeded", weight: 100 },
];

const ACTIVE: CD.DeploymentStatus[] = ["Created", "Queued", "InProgress", "Baking", "Ready"];
const TARGET_STATUS: Record<CD.DeploymentStatus, CD.TargetStatus> = {
  Created: "Pending",
  Queued: "Pending",
  InProgress: "InProgress",
  Baking: "InProgress",
  Ready: "Ready",
  Succeeded: "Succeeded",
  Failed: "Failed",
  Stopped: "Failed",
};

interface Tracked {
  readonly info: CD.DeploymentInfo;
  readonly spec: LambdaAppSpecProperties;
  readonly steps: Step[];
  polls: number;
  weight: number;
}

export interface DeploymentGroup {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentConfigName: string;
}

export class CodeDeployFake {
  readonly deployments = new Map<string, Tracked>();
  /** The AppSpecs CreateDeployment was given, as sent. */
  readonly appSpecs: string[] = [];
  /** How the deployments CreateDeployment starts go. */
  script: Step[] = CANARY;
  readonly configs: Record<string, CD.DeploymentConfigInfo> = {
    "CodeDeployDefault.LambdaCanary10Percent10Minutes": {
      deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent10Minutes",
      computePlatform: "Lambda",
      trafficRoutingConfig: {
        type: "TimeBasedCanary",
        timeBasedCanary: { canaryPercentage: 10, canaryInterval: 10 },
      },
    },
  };
  private next = 0;

  private constructor(
    readonly group: DeploymentGroup,
    readonly aliases: Aliases,
    readonly service: FakeService<CodeDeployOperations>,
  ) {}

  static async start(group: DeploymentGroup, aliases: Aliases): Promise<CodeDeployFake> {
    let fake: CodeDeployFake | undefined;
    const route = <Op extends keyof CodeDeployOperations>(op: Op) =>
      ((input) =>
        (fake as CodeDeployFake).handlers[op](input)) as Handlers<CodeDeployOperations>[Op];
    const service = await FakeService.start<CodeDeployOperations>(
      awsJsonProtocol("CodeDeploy_20141006", "1.1"),
      {
        CreateDeployment: route("CreateDeployment"),
        GetDeployment: route("GetDeployment"),
        GetDeploymentConfig: route("GetDeploymentConfig"),
        GetDeploymentTarget: route("GetDeploymentTarget"),
        ListDeployments: route("ListDeployments"),
        ListDeploymentTargets: route("ListDeploymentTargets"),
      },
    );
    fake = new CodeDeployFake(group, aliases, service);
    return fake;
  }

  /** A deployment started before (by an interrupted `pulumi up`, or a rollback), going by `steps`. */
  seed(
    spec: LambdaAppSpecProperties,
    steps: Step[],
    extra: Partial<CD.DeploymentInfo> = {},
  ): string {
    return this.track(spec, steps, extra).deploymentId ?? "";
  }

  reset(): void {
    this.deployments.clear();
    this.appSpecs.length = 0;
    this.script = CANARY;
    this.service.reset();
  }

  private track(spec: LambdaAppSpecProperties, steps: Step[], extra: Partial<CD.DeploymentInfo>) {
    const deploymentId = `d-FAKE${String(++this.next).padStart(5, "0")}`;
    const content = JSON.stringify({
      version: 0,
      Resources: [{ [spec.Name]: { Type: "AWS::Lambda::Function", Properties: spec } }],
    });
    const now = new Date();
    const info = {
      applicationName: this.group.applicationName,
      deploymentGroupName: this.group.deploymentGroupName,
      deploymentConfigName: this.group.deploymentConfigName,
      deploymentId,
      revision: {
        revisionType: "AppSpecContent",
        appSpecContent: { content, sha256: sha256(content) },
      },
      status: "Created",
      createTime: now,
      startTime: now,
      creator: "user",
      computePlatform: "Lambda",
      deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
      ...extra,
    } satisfies CD.DeploymentInfo;
    this.deployments.set(deploymentId, { info, spec, steps, polls: 0, weight: 0 });
    return info;
  }

  private tracked(deploymentId: string | undefined): Tracked {
    const found = this.deployments.get(deploymentId ?? "");
    if (!found) throw new AwsFault(400, "DeploymentDoesNotExistException", `${deploymentId}`);
    return found;
  }

  /** One poll: the deployment takes its next step, and the alias follows. */
  private advance(t: Tracked): void {
    const step = t.steps[Math.min(t.polls++, t.steps.length - 1)] as Step;
    if (t.info.status && !ACTIVE.includes(t.info.status)) return; // ended: stays as it ended
    Object.assign(t.info, { status: step.status }, step.error && { errorInformation: step.error });
    t.weight = step.weight ?? t.weight;
    const key = `${t.spec.Name}:${t.spec.Alias}`;
    if (step.leavesAlias) return;
    if (step.status === "Succeeded") {
      this.aliases.set(key, { version: t.spec.TargetVersion, weights: {} });
    } else if (ACTIVE.includes(step.status) && t.weight > 0) {
      const weights = { [t.spec.TargetVersion]: t.weight / 100 };
      this.aliases.set(key, { version: t.spec.CurrentVersion, weights });
    } else if (step.rollBack) {
      const back = {
        ...t.spec,
        CurrentVersion: t.spec.TargetVersion,
        TargetVersion: t.spec.CurrentVersion,
      };
      const rollback = this.track(back, [{ status: "InProgress" }, { status: "Succeeded" }], {
        creator: "codeDeployRollback",
        rollbackInfo: { rollbackTriggeringDeploymentId: t.info.deploymentId },
      });
      t.info.rollbackInfo = {
        rollbackDeploymentId: rollback.deploymentId,
        rollbackMessage: `Deployment ${t.info.deploymentId} was rolled back by ${rollback.deploymentId}`,
      };
    }
  }

  private readonly handlers: Handlers<CodeDeployOperations> = {
    CreateDeployment: (input) => {
      if (input.applicationName !== this.group.applicationName) {
        throw new AwsFault(400, "ApplicationDoesNotExistException", `${input.applicationName}`);
      }
      if (input.deploymentGroupName !== this.group.deploymentGroupName) {
        throw new AwsFault(
          400,
          "DeploymentGroupDoesNotExistException",
          `${input.deploymentGroupName}`,
        );
      }
      const revision = input.revision;
      const content = revision?.appSpecContent?.content ?? "";
      if (
        revision?.revisionType !== "AppSpecContent" ||
        revision.appSpecContent?.sha256 !== sha256(content)
      ) {
        throw new AwsFault(400, "InvalidRevisionException", "an AppSpecContent with its sha256");
      }
      const spec = parseLambdaAppSpec(content);
      const properties = Object.values(spec.Resources[0] ?? {})[0]
        ?.Properties as LambdaAppSpecProperties;
      const alias = this.aliases.get(`${properties.Name}:${properties.Alias}`);
      if (alias?.version !== properties.CurrentVersion) {
        throw new AwsFault(
          400,
          "InvalidRevisionException",
          "CurrentVersion is not the alias's version",
        );
      }
      const active = [...this.deployments.values()].find((t) =>
        ACTIVE.includes(t.info.status as CD.DeploymentStatus),
      );
      if (active) {
        const message = `The Deployment Group '${this.group.deploymentGroupName}' already has an active Deployment '${active.info.deploymentId}'`;
        throw new AwsFault(400, "DeploymentLimitExceededException", message);
      }
      this.appSpecs.push(content);
      const info = this.track(properties, this.script, { description: input.description });
      return { deploymentId: info.deploymentId } satisfies CD.CreateDeploymentOutput;
    },
    GetDeployment: ({ deploymentId }) => {
      const t = this.tracked(deploymentId);
      this.advance(t);
      return { deploymentInfo: structuredClone(t.info) } satisfies CD.GetDeploymentOutput;
    },
    GetDeploymentConfig: ({ deploymentConfigName }) => {
      const found = this.configs[deploymentConfigName ?? ""];
      if (!found)
        throw new AwsFault(400, "DeploymentConfigDoesNotExistException", `${deploymentConfigName}`);
      return { deploymentConfigInfo: found } satisfies CD.GetDeploymentConfigOutput;
    },
    ListDeployments: (input) => {
      const deployments = [...this.deployments.values()]
        .filter(
          ({ info }) =>
            info.applicationName === input.applicationName &&
            info.deploymentGroupName === input.deploymentGroupName,
        )
        .filter(
          ({ info }) =>
            !input.includeOnlyStatuses ||
            input.includeOnlyStatuses.includes(info.status as CD.DeploymentStatus),
        )
        .map(({ info }) => info.deploymentId as string)
        .reverse();
      return { deployments } satisfies CD.ListDeploymentsOutput;
    },
    ListDeploymentTargets: ({ deploymentId }) => {
      const t = this.tracked(deploymentId);
      return {
        targetIds: [`${t.spec.Name}:${t.spec.Alias}`],
      } satisfies CD.ListDeploymentTargetsOutput;
    },
    GetDeploymentTarget: ({ deploymentId, targetId }) => {
      const t = this.tracked(deploymentId);
      if (targetId !== `${t.spec.Name}:${t.spec.Alias}`) {
        throw new AwsFault(400, "DeploymentTargetDoesNotExistException", `${targetId}`);
      }
      const lambdaTarget = {
        deploymentId,
        targetId,
        targetArn: `arn:aws:lambda:eu-west-1:123456789012:function:${targetId}`,
        status: TARGET_STATUS[t.info.status as CD.DeploymentStatus],
        lastUpdatedAt: new Date(),
        lifecycleEvents: [],
        lambdaFunctionInfo: {
          functionName: t.spec.Name,
          functionAlias: t.spec.Alias,
          currentVersion: t.spec.CurrentVersion,
          targetVersion: t.spec.TargetVersion,
          targetVersionWeight: t.weight,
        },
      } satisfies CD.LambdaTarget;
      return {
        deploymentTarget: { deploymentTargetType: "LambdaTarget", lambdaTarget },
      } satisfies CD.GetDeploymentTargetOutput;
    },
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
