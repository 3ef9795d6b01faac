/**
 * serving/model-location.ts: a model key is refused when a URL parser would rewrite it, and for
 * every accepted key the request that reaches S3 names exactly that key.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ArtifactError } from "../../core/artifact.js";
import { checkModelKey, parseS3Uri } from "../../serving/model-location.js";
import { fetchModelBytes, s3ClientFromEnv } from "../../serving/model-source.js";
import { fetchModelWithEnvCredentials } from "../../serving/s3-env-fetch.js";
import { envFor, type FakeDependency, httpServer } from "../helpers/fake-dependency.js";
import { setEnv } from "../helpers/s3.js";

const ONE_ATTEMPT = {
  attempts: 1,
  firstByteMs: 2000,
  attemptMs: 3000,
  backoffMs: 0,
  totalMs: 5000,
};

/** Segments drawn to hit what URL parsers touch: dots, %-escapes, slashes' look-alikes, Unicode. */
const segment = fc.oneof(
  fc.constantFrom(
    ".",
    "..",
    "",
    "%2E",
    "%2e%2E",
    ".%2E",
    "\\",
    "..\\",
    "a?b",
    "a#b",
    "~",
    " ",
    "\t",
  ),
  fc.string({ unit: "grapheme", minLength: 0, maxLength: 6 }),
  fc.string({
    unit: fc.constantFrom(".", "%", "2", "E", "e", "/", "\\", "a", "?", "#"),
    maxLength: 6,
  }),
);
const key = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/"));

describe("serving/model-location.ts", () => {
  it("refuses the keys of the probe, saying what is wrong", () => {
    for (const [bad, why] of [
      ["e403/../ok/model.tar.gz", /has a "\.\." segment/],
      ["./model.tar.gz", /has a "\." segment/],
      ["/model.tar.gz", /empty segment/],
      ["models//model.tar.gz", /empty segment/],
      ["models/", /empty segment/],
      ["", /is empty/],
      ["a\ud800b", /lone surrogate/],
      ["k".repeat(1025), /over S3's 1024 bytes/],
    ] as const) {
      assert.throws(
        () => checkModelKey(bad),
        (e: Error) => e instanceof ArtifactError && why.test(e.message),
      );
    }
    assert.throws(() => parseS3Uri("s3://models/e403/../ok/model.tar.gz"), /"\.\." segment/);
    assert.throws(() => parseS3Uri("s3://Models_x/key"), /not an S3 bucket name/);
  });

  it("accepts exactly the keys whose segments are all names", () => {
    fc.assert(
      fc.property(key, (k) => {
        const named = k.split("/").every((s) => s !== "" && s !== "." && s !== "..");
        let accepted = true;
        try {
          checkModelKey(k);
        } catch {
          accepted = false;
        }
        assert.equal(
          accepted,
          named &&
            Buffer.byteLength(k) <= 1024 &&
            (k as unknown as { isWellFormed(): boolean }).isWellFormed(),
        );
      }),
      { numRuns: 2000 },
    );
  });

  describe("the request path is the key, exactly, for every accepted key", () => {
    let server: FakeDependency;
    let restore: () => void;
    before(async () => {
      server = await httpServer((_n, _req, res) => res.writeHead(200).end("x"));
      const { AWS_ENDPOINT_URL_S3: _, ...credentials } = envFor(server.endpoint);
      restore = setEnv(credentials);
    });
    after(async () => {
      restore?.();
      await server?.close();
    });

    const accepted = key.filter((k) => {
      try {
        checkModelKey(k);
        return true;
      } catch {
        return false;
      }
    });
    /** The path as sent, decoded segment by segment: what S3 takes as the key. */
    const keyOf = (path: string) =>
      path
        .replace(/^\/models\//, "")
        .split("/")
        .map(decodeURIComponent)
        .join("/");

    it("through the Lambda's signed fetch: the key encoded per segment, nothing collapsed", async () => {
      await fc.assert(
        fc.asyncProperty(accepted, async (k) => {
          const before = server.paths.length;
          await fetchModelWithEnvCredentials(
            { bucket: "models", key: k },
            envFor(server.endpoint),
            {
              budget: ONE_ATTEMPT,
            },
          );
          const sent = server.paths[before] as string;
          assert.equal(sent, `/models/${k.split("/").map(encodeURIComponent).join("/")}`);
          assert.equal(keyOf(sent), k);
        }),
        { numRuns: 150 },
      );
    });

    it("through the SDK client", async () => {
      const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: server.endpoint });
      try {
        await fc.assert(
          fc.asyncProperty(accepted, async (k) => {
            const before = server.paths.length;
            await fetchModelBytes(client, { bucket: "models", key: k }, { budget: ONE_ATTEMPT });
            const sent = (server.paths[before] as string).replace(/\?x-id=GetObject$/, "");
            assert.equal(keyOf(sent), k);
          }),
          { numRuns: 100 },
        );
      } finally {
        client.destroy();
      }
    });
  });
});
