/**
 * The model's S3 dependency misbehaving, for both clients (the Lambda's aws4fetch GET and the SDK
 * client of serve and the CLI): hanging, slow, resetting, failing then recovering, and lying
 * (a Content-Length it does not keep, an object over the cap, HTML instead of a model, bytes
 * other than the pinned ones). Every case ends within the S3 budget, retries only what is worth
 * retrying, logs one line per attempt, and refuses rather than loading something wrong.
 */
import assert from "node:assert/strict";
import { MODEL_CAPS } from "../../core/archive.js";
import { sha256 } from "../../core/artifact.js";
import { predictorFromBytes } from "../../serving/model-load.js";
import type { S3Location } from "../../serving/model-location.js";
import { type AttemptLine, type Budget, S3_BUDGET } from "../../serving/model-retry.js";
import { fetchModelBytes, s3ClientFromEnv } from "../../serving/model-source.js";
import { fetchModelWithEnvCredentials } from "../../serving/s3-env-fetch.js";
import {
  envFor,
  type FakeDependency,
  hangingServer,
  httpServer,
  resettingServer,
} from "../helpers/fake-dependency.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import { setEnv } from "../helpers/s3.js";

const LOCATION: S3Location = { bucket: "models", key: "iris/model.tar.gz" };
/** A small budget, so the cases that must exhaust it stay quick; the real one is tested too. */
const QUICK: Budget = {
  attempts: 3,
  firstByteMs: 300,
  attemptMs: 800,
  backoffMs: 20,
  totalMs: 2000,
};
/** Scheduling on a shared machine: how late past the deadline an answer may come. */
const SLACK_MS = 750;

type Fetch = (
  endpoint: string,
  budget: Budget,
  log: (line: AttemptLine) => void,
) => Promise<Uint8Array>;

const CLIENTS: [string, Fetch][] = [
  [
    "the Lambda's signed fetch",
    (endpoint, budget, log) =>
      fetchModelWithEnvCredentials(LOCATION, envFor(endpoint), { budget, log }),
  ],
  [
    "the SDK client (serve, predict)",
    (endpoint, budget, log) => {
      const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: endpoint });
      return fetchModelBytes(client, LOCATION, { budget, log }).finally(() => client.destroy());
    },
  ],
];

async function attempt(fetch: Fetch, endpoint: string, budget = QUICK) {
  const lines: AttemptLine[] = [];
  const started = performance.now();
  const outcome = await fetch(endpoint, budget, (line) => lines.push(line)).then(
    (bytes) => ({ bytes, error: undefined }),
    (error: Error) => ({ bytes: undefined, error }),
  );
  return { ...outcome, lines, ms: performance.now() - started };
}

describe("attack: a misbehaving S3 while the model loads", function () {
  this.timeout(30_000);
  let model: TrainedModel;
  let restoreEnv: () => void;
  const servers: FakeDependency[] = [];
  const serve = async (server: Promise<FakeDependency>) => {
    const started = await server;
    servers.push(started);
    return started;
  };

  before(async () => {
    model = await trainedModel();
    // the SDK takes its credentials from the environment
    const { AWS_ENDPOINT_URL_S3: _, ...credentials } = envFor("unused");
    restoreEnv = setEnv({ ...credentials, AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined });
  });
  after(async () => {
    restoreEnv?.();
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const [client, fetch] of CLIENTS) {
    describe(client, () => {
      it("gives up on a server that accepts and never answers, within the real budget", async () => {
        const server = await serve(hangingServer());
        const { error, lines, ms } = await attempt(fetch, server.endpoint, S3_BUDGET);
        assert.match(
          String(error?.message),
          /could not be fetched after \d attempts in \d\.\d s \(no (complete )?answer/,
        );
        assert.ok(ms <= S3_BUDGET.totalMs + SLACK_MS, `${ms} ms`);
        assert.ok(lines.length >= 2 && lines.length <= S3_BUDGET.attempts, JSON.stringify(lines));
        assert.deepEqual(
          lines.map((l) => l.outcome),
          [...Array(lines.length - 1).fill("retry"), "failed"],
        );
        assert.match(String(lines[0]?.error), /^no answer within 2000 ms$/);
        for (const line of lines) {
          assert.equal(line.dependency, "s3");
          assert.equal(line.uri, "s3://models/iris/model.tar.gz");
          assert.match(String(line.error), /no (complete )?answer/);
        }
      });

      it("gives up on a body that trickles slower than the attempt timeout", async () => {
        const server = await serve(
          httpServer((_n, _req, res) => {
            res.writeHead(200, { "content-length": String(model.tarball.length) });
            let sent = 0;
            const timer = setInterval(() => {
              if (res.destroyed || sent >= model.tarball.length) return clearInterval(timer);
              res.write(model.tarball.subarray(sent, ++sent));
            }, 50);
            res.on("close", () => clearInterval(timer));
          }),
        );
        const { error, lines, ms } = await attempt(fetch, server.endpoint);
        assert.match(String(error?.message), /no complete answer/);
        assert.ok(ms <= QUICK.totalMs + SLACK_MS, `${ms} ms`);
        assert.ok(lines.length >= 2, JSON.stringify(lines));
      });

      it("retries a connection reset, a bounded number of times", async () => {
        const server = await serve(resettingServer());
        const { error, lines } = await attempt(fetch, server.endpoint);
        assert.match(String(error?.message), /after 3 attempts/);
        assert.equal(server.connections(), 3);
        assert.deepEqual(
          lines.map((l) => l.outcome),
          ["retry", "retry", "failed"],
        );
        assert.ok(lines.every((l) => (l.retry_in_ms ?? 0) <= QUICK.backoffMs * 2));
      });

      it("retries a 500 and loads the model from the 200 that follows", async () => {
        const server = await serve(
          httpServer((n, _req, res) => {
            if (n === 0) return res.writeHead(500).end("<Error><Code>InternalError</Code></Error>");
            res
              .writeHead(200, { "content-length": String(model.tarball.length) })
              .end(model.tarball);
          }),
        );
        const { bytes, lines } = await attempt(fetch, server.endpoint);
        assert.equal(sha256(bytes as Uint8Array), model.sha256);
        assert.deepEqual(
          lines.map((l) => l.outcome),
          ["retry", "ok"],
        );
        assert.match(String(lines[0]?.error), /HTTP 500/);
      });

      it("does not retry a 403 or a 404: trying again cannot help", async () => {
        for (const status of [403, 404]) {
          const server = await serve(
            httpServer((_n, _req, res) =>
              res.writeHead(status).end("<Error><Code>Nope</Code></Error>"),
            ),
          );
          const { error, lines } = await attempt(fetch, server.endpoint);
          assert.match(String(error?.message), new RegExp(`HTTP ${status}`));
          assert.equal(server.paths.length, 1);
          assert.deepEqual(
            lines.map((l) => l.outcome),
            ["failed"],
          );
        }
      });

      it("refuses an object whose Content-Length is over the cap, without reading it or retrying", async () => {
        const server = await serve(
          httpServer((_n, _req, res) => {
            res.writeHead(200, { "content-length": String(400 * 1024 * 1024) });
            res.write(Buffer.alloc(64 * 1024));
          }),
        );
        const { error } = await attempt(fetch, server.endpoint);
        assert.match(String(error?.message), /over the 16 MiB cap on a model\.tar\.gz/);
        assert.equal(server.paths.length, 1);
      });

      it("stops reading an undeclared body at the cap", async () => {
        const server = await serve(
          httpServer((_n, _req, res) => {
            res.writeHead(200); // chunked: no length to check up front
            const chunk = Buffer.alloc(1024 * 1024);
            let sent = 0;
            const more = () => {
              while (sent < 4 * MODEL_CAPS.compressedBytes && !res.destroyed) {
                sent += chunk.length;
                if (!res.write(chunk)) return res.once("drain", more);
              }
              res.end();
            };
            more();
          }),
        );
        const { error } = await attempt(fetch, server.endpoint);
        assert.match(String(error?.message), /more than 16777216 bytes, over the 16 MiB cap/);
        assert.equal(server.paths.length, 1);
      });

      it("retries a body cut short of its Content-Length, then gives up saying so", async () => {
        const server = await serve(
          httpServer((_n, _req, res) => {
            res.writeHead(200, { "content-length": String(model.tarball.length) });
            res.write(model.tarball.subarray(0, 100), () => res.destroy());
          }),
        );
        const { error, lines } = await attempt(fetch, server.endpoint);
        assert.ok(error, "a truncated body is never returned");
        assert.equal(lines.length, 3, JSON.stringify(lines));
      });

      it("refuses HTML served as the object, and bytes other than the pinned ones", async () => {
        const html = Buffer.from("<html><body>Sign in to the Wi-Fi</body></html>");
        const server = await serve(
          httpServer((n, _req, res) => {
            const body = n === 0 ? html : model.tarball;
            res.writeHead(200, { "content-type": n === 0 ? "text/html" : "application/gzip" });
            res.end(body);
          }),
        );
        const page = await attempt(fetch, server.endpoint);
        await assert.rejects(
          predictorFromBytes(
            { name: "s3://models/iris/model.tar.gz", remote: true, tarball: page.bytes },
            { allowUnverified: true },
          ),
          /not a \.tar\.gz/,
        );
        const other = await attempt(fetch, server.endpoint);
        const pin = sha256("the model the deployer meant");
        await assert.rejects(
          predictorFromBytes(
            { name: "s3://models/iris/model.tar.gz", remote: true, tarball: other.bytes },
            { sha256: pin },
          ),
          new RegExp(`has sha256 ${model.sha256}, expected ${pin}: refusing the model`),
        );
      });
    });
  }
});
