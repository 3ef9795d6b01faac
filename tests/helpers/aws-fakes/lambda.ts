/**
 * A Lambda API fake for aliases: the REST-JSON protocol (operation by method and path, errors as
 * the status with `x-amzn-ErrorType` and a `{"Type", "message"}` body), GetAlias at
 * `GET /2015-03-31/functions/{FunctionName}/aliases/{Name}`. The aliases live in an `Aliases`
 * store that the CodeDeploy fake moves as its deployments shift traffic.
 */
import type { IncomingMessage } from "node:http";
import type { AliasConfiguration, GetAliasRequest } from "@aws-sdk/client-lambda";
import { AwsFault, FakeService, type Protocol, wireJson } from "./service.js";

export interface Alias {
  /** The version it serves; "" stands for an answer without one. */
  version: string;
  /** AdditionalVersionWeights: version to share of traffic, from 0 to 1. */
  weights: Record<string, number>;
}

/** Aliases by `<function>:<alias>`. */
export type Aliases = Map<string, Alias>;

export type LambdaOperations = { GetAlias: [GetAliasRequest, AliasConfiguration] };

const ALIAS_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/aliases\/([^/?]+)$/;

const restJson: Protocol = {
  parse(req: IncomingMessage) {
    const match = ALIAS_PATH.exec(req.url ?? "");
    if (req.method !== "GET" || !match) {
      throw new AwsFault(404, "UnknownOperationException", `${req.method} ${req.url}`);
    }
    const [, functionName = "", name = ""] = match;
    const input: GetAliasRequest = {
      FunctionName: decodeURIComponent(functionName),
      Name: decodeURIComponent(name),
    };
    return { operation: "GetAlias", input };
  },
  answer: (output) => ({
    status: 200,
    headers: { "content-type": "application/json" },
    body: wireJson(output),
  }),
  fault: (fault) => ({
    status: fault.status,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": fault.code,
      ...(fault.status === 429 ? { "retry-after": "0" } : {}),
    },
    body: JSON.stringify({ Type: "User", message: fault.message }),
  }),
};

/** Lambda's answer to too many calls. */
export const lambdaThrottling = () =>
  new AwsFault(429, "TooManyRequestsException", "Rate exceeded");

export function startLambdaFake(
  aliases: Aliases,
  region: string,
): Promise<FakeService<LambdaOperations>> {
  return FakeService.start<LambdaOperations>(restJson, {
    GetAlias: ({ FunctionName, Name }) => {
      const alias = aliases.get(`${FunctionName}:${Name}`);
      const arn = `arn:aws:lambda:${region}:123456789012:function:${FunctionName}:${Name}`;
      if (!alias) throw new AwsFault(404, "ResourceNotFoundException", `Alias not found: ${arn}`);
      const weights = Object.keys(alias.weights).length > 0;
      return {
        AliasArn: arn,
        Name,
        ...(alias.version ? { FunctionVersion: alias.version } : {}),
        Description: "",
        ...(weights ? { RoutingConfig: { AdditionalVersionWeights: alias.weights } } : {}),
        RevisionId: "11111111-2222-3333-4444-555555555555",
      } satisfies AliasConfiguration;
    },
  });
}
