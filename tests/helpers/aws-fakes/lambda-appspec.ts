/**
 * The AppSpec of a CodeDeploy Lambda deployment as AWS documents it ("AppSpec 'resources' section
 * for AWS Lambda deployments" and the Lambda AppSpec example of the CodeDeploy user guide),
 * read the way the CodeDeploy fake refuses what AWS would refuse.
 */
import { AwsFault } from "./service.js";

/** The Lambda AppSpec's `Properties`, as AWS documents them (each a string). */
export interface LambdaAppSpecProperties {
  readonly Name: string;
  readonly Alias: string;
  readonly CurrentVersion: string;
  readonly TargetVersion: string;
}

export interface LambdaAppSpec {
  readonly version: number;
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties: LambdaAppSpecProperties }
  >[];
}

/** The AppSpec of a Lambda deployment, checked field by field; refused as AWS refuses it. */
export function parseLambdaAppSpec(content: string): LambdaAppSpec {
  const invalid = (why: string) => new AwsFault(400, "InvalidRevisionException", `AppSpec: ${why}`);
  let spec: LambdaAppSpec;
  try {
    spec = JSON.parse(content);
  } catch {
    throw invalid("not JSON");
  }
  if (Object.keys(spec).join() !== "version,Resources") throw invalid("keys: version, Resources");
  if (spec.version !== 0) throw invalid("version must be 0.0");
  if (!Array.isArray(spec.Resources) || spec.Resources.length !== 1) {
    throw invalid("Resources must list one function");
  }
  const [entry] = Object.values(spec.Resources[0] ?? {});
  if (Object.keys(spec.Resources[0] ?? {}).length !== 1 || !entry) throw invalid("one resource");
  if (entry.Type !== "AWS::Lambda::Function") throw invalid("Type must be AWS::Lambda::Function");
  const p = entry.Properties;
  if (
    Object.keys(p ?? {})
      .sort()
      .join() !== "Alias,CurrentVersion,Name,TargetVersion"
  ) {
    throw invalid("Properties: Name, Alias, CurrentVersion, TargetVersion");
  }
  for (const version of [p.CurrentVersion, p.TargetVersion]) {
    if (typeof version !== "string" || !/^[1-9][0-9]*$/.test(version)) {
      throw invalid(`a version must be a positive integer in a string, got ${version}`);
    }
  }
  return spec;
}
