/**
 * Every IAM policy document the two programs create (role trust and inline policies, the managed
 * boundaries, the bucket policy), for dev and prod as configured and with SageMaker on in either
 * mode, checked against AWS's catalogue (tests/helpers/iam-catalogue.ts).
 */
import { strict as assert } from "node:assert";
import { checkDocument } from "../helpers/iam-catalogue.js";
import type { FoundDocument } from "../helpers/iam-policy.js";
import {
  policyDocuments,
  runBootstrap,
  runStack,
  stackConfigFile,
  unknownDocuments,
} from "../helpers/iam-programs.js";

const EMAIL = { "iris-mlops:alerts": { email: "oncall@example.com" } };

describe("IAM documents against AWS's catalogue", function () {
  this.timeout(120000);
  const documents: FoundDocument[] = [];
  const missed: string[] = [];
  before(async () => {
    const dev = await stackConfigFile("dev");
    const prod = await stackConfigFile("prod");
    const runs = [
      await runBootstrap("iris-org/iris-mlops"),
      await runStack("dev", dev),
      await runStack("dev", {
        ...dev,
        ...EMAIL,
        "iris-mlops:sagemaker": { enabled: true, mode: "serverless" },
        "iris-mlops:bucket": {
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
      }),
      await runStack("prod", { ...prod, ...EMAIL }),
    ];
    for (const run of runs) {
      documents.push(
        ...policyDocuments(run, new Set(["github-dev-boundary", "github-prod-boundary"])),
      );
      missed.push(...unknownDocuments(run));
    }
  });

  it("finds the documents of every kind: trust, inline, boundary, bucket policy", () => {
    const kinds = new Set(documents.map((d) => d.kind));
    assert.deepEqual([...kinds].sort(), ["boundary", "identity", "resource", "trust"]);
    // bootstrap: 3 roles × (trust + inline) + 2 boundaries; a stack: the bucket policy and one
    // or two service roles × (trust + inline)
    assert.ok(documents.length >= 8 + 3 + 5 + 5, `${documents.length} documents`);
    assert.deepEqual(missed, [], "a resource holds a policy document the checks do not read");
  });

  it("uses only actions, resource types and condition keys AWS has", async () => {
    const problems = (await Promise.all(documents.map(checkDocument))).flat();
    assert.deepEqual(problems, []);
  });
});
