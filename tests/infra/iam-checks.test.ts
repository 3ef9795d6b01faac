/**
 * The IAM checks themselves: the evaluator decides as AWS's evaluation logic does, and the
 * catalogue check refuses what AWS would not recognise, so a passing iam-roles / iam-catalogue
 * run means something.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { checkDocument, fitsFormat } from "../helpers/iam-catalogue.js";
import { evaluate, type Principal } from "../helpers/iam-evaluator.js";
import { globMatch, type PolicyDocument, type Statement } from "../helpers/iam-policy.js";

const policy = (...st: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: st });
const who = (identity: Statement[], boundary?: Statement[]): Principal => ({
  arn: "arn:aws:iam::123456789012:role/r",
  identity: [policy(...identity)],
  ...(boundary ? { boundary: policy(...boundary) } : {}),
});
const OBJECT = "arn:aws:s3:::b/k";
/** An ARN format as the catalogue spells it, `{Name}` for its `${Name}` variables. */
const format = (s: string) => s.replace(/\{(\w+)\}/g, "$${$1}");
const allowGet: Statement = {
  Effect: "Allow",
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::b/*",
};

describe("the IAM evaluator", () => {
  it("needs an Allow, and an explicit Deny wins over it", () => {
    assert.equal(evaluate(who([]), { action: "s3:GetObject", resource: OBJECT }), "not allowed");
    assert.equal(
      evaluate(who([allowGet]), { action: "s3:getobject", resource: OBJECT }),
      "allowed",
    );
    assert.equal(
      evaluate(who([allowGet]), { action: "s3:GetObject", resource: "arn:aws:s3:::B/k" }),
      "not allowed",
    );
    const deny: Statement = { Effect: "Deny", Action: "s3:*", Resource: "*" };
    assert.equal(
      evaluate(who([allowGet, deny]), { action: "s3:GetObject", resource: OBJECT }),
      "denied explicitly",
    );
  });

  it("allows only what both the identity policy and the boundary allow", () => {
    const everything: Statement = { Effect: "Allow", Action: "*", Resource: "*" };
    assert.equal(
      evaluate(who([everything], [allowGet]), { action: "s3:GetObject", resource: OBJECT }),
      "allowed",
    );
    assert.equal(
      evaluate(who([everything], [allowGet]), {
        action: "iam:CreateUser",
        resource: "arn:aws:iam::123456789012:user/x",
      }),
      "outside the boundary",
    );
    assert.equal(
      evaluate(who([allowGet], [everything]), { action: "s3:PutObject", resource: OBJECT }),
      "not allowed",
    );
  });

  it("applies IAM's rules to a key the request does not carry", () => {
    const when = (operator: string): Statement => ({
      ...allowGet,
      Condition: { [operator]: { "aws:SourceVpc": "vpc-1" } },
    });
    const bare = { action: "s3:GetObject", resource: OBJECT };
    assert.equal(evaluate(who([when("StringEquals")]), bare), "not allowed");
    assert.equal(evaluate(who([when("StringNotEquals")]), bare), "allowed");
    assert.equal(
      evaluate(who([when("StringEquals")]), { ...bare, context: { "aws:sourcevpc": "vpc-1" } }),
      "allowed",
    );
    assert.throws(() => evaluate(who([when("NumericLessThan")]), bare), /does not implement/);
  });

  it("matches `*` and `?` as IAM does, across `/` and `:`", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "b", "/", ":", "-", "."), maxLength: 20 }),
        fc.nat(20),
        fc.nat(20),
        (s, i, j) => {
          const [from, to] = [Math.min(i, j, s.length), Math.min(Math.max(i, j), s.length)];
          assert.ok(globMatch(`${s.slice(0, from)}*${s.slice(to)}`, s));
          if (to > from) assert.ok(globMatch(`${s.slice(0, from)}?${s.slice(from + 1)}`, s));
          assert.equal(globMatch(s, s), true);
          assert.equal(globMatch(s, `${s}x`), false);
        },
      ),
    );
  });
});

describe("the catalogue check", () => {
  it("fits resources to ARN formats, wildcards included", () => {
    const stream = format(
      "arn:{Partition}:logs:{Region}:{Account}:log-group:{LogGroupName}:log-stream:{LogStreamName}",
    );
    assert.ok(fitsFormat("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x:*", stream));
    assert.ok(!fitsFormat("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x", stream));
    assert.ok(
      !fitsFormat("arn:aws:logs:eu-west-1:1234:log-group:/aws/x:*", stream),
      "a 4-digit account",
    );
    assert.ok(fitsFormat("arn:aws:s3:::b-*", format("arn:{Partition}:s3:::{BucketName}")));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9/-]{0,15}$/),
        fc.nat(30),
        fc.nat(30),
        (name, i, j) => {
          const arn = `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`;
          const repository = format(
            "arn:{Partition}:ecr:{Region}:{Account}:repository/{RepositoryName}",
          );
          const [from, to] = [Math.min(i, j, arn.length), Math.min(Math.max(i, j), arn.length)];
          assert.ok(fitsFormat(arn, repository));
          assert.ok(fitsFormat(`${arn.slice(0, from)}*${arn.slice(to)}`, repository));
        },
      ),
    );
  });

  it("refuses unknown actions, resources an action never acts on, and keys it never sends", async () => {
    const found = (...st: Statement[]) => ({
      origin: "t",
      kind: "identity" as const,
      document: policy(...st),
    });
    const problems = async (...st: Statement[]) => (await checkDocument(found(...st))).join("\n");
    assert.equal(await problems(allowGet), "");
    assert.match(
      await problems({ Effect: "Allow", Action: "apigateway:TagResource", Resource: "*" }),
      /no IAM action/,
    );
    assert.match(
      await problems({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b" }),
      /fits no resource type/,
    );
    assert.match(
      await problems({
        Effect: "Allow",
        Action: "ecr:GetAuthorizationToken",
        Resource: "arn:aws:ecr:eu-west-1:123456789012:repository/x",
      }),
      /is one ecr:GetAuthorizationToken applies to/,
    );
    assert.match(
      await problems({ ...allowGet, Condition: { StringEquals: { "s3:NoSuchKey": "x" } } }),
      /does not exist/,
    );
    assert.match(
      await problems({
        Effect: "Allow",
        Action: "iam:CreateRole",
        Resource: "arn:aws:iam::123456789012:role/x",
        Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
      }),
      /is not a key of iam:CreateRole/,
    );
  });
});
