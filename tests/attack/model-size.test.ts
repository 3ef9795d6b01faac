/**
 * The caps on a model's size (core/archive.ts MODEL_CAPS): a gzip bomb, a huge download, too many
 * or too large entries are refused early, with an error naming the cap, and the process's peak
 * memory stays within a budget while refusing them.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { MODEL_CAPS, packTarGz, unpackTarGz } from "../../core/archive.js";
import { loadLocalModel } from "../../serving/model-load.js";
import { runCli } from "../helpers/cli.js";
import { type FakeDependency, httpServer } from "../helpers/fake-dependency.js";
import { rowOf, SETOSA, tempDir, trainedModel } from "../helpers/model.js";

const MiB = 1024 * 1024;
/** Peak RSS a CLI process may reach while refusing an oversized model (it idles near 150 MB). */
const RSS_BUDGET_KB = 350 * 1024;

/** 1.5 MB that gunzips to 1.5 GB: 1500 gzip members of 1 MiB of zeros each. */
const gzipBomb = () => {
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: 1500 }, () => member));
};

describe("attack: oversized models", function () {
  this.timeout(60_000);
  const input = `${rowOf(SETOSA).join(",")}\n`;

  it("documents caps with room over a real model", async () => {
    const model = await trainedModel();
    const unpacked = [...model.files.values()].reduce((n, b) => n + b.length, 0);
    assert.ok(model.tarball.length * 100 < MODEL_CAPS.compressedBytes, `${model.tarball.length}`);
    assert.ok(unpacked * 100 < MODEL_CAPS.unpackedBytes, `${unpacked}`);
    assert.ok(model.files.size * 4 <= MODEL_CAPS.entries);
  });

  it("refuses a 1.5 MB gzip bomb once it has unpacked 64 MiB, within the memory budget", async () => {
    const bomb = gzipBomb();
    assert.ok(bomb.length < 2 * MiB);
    const path = join(await tempDir("bomb-"), "model.tar.gz");
    await writeFile(path, bomb);
    const result = await runCli(["predict", "--model", path], { input, measureRss: true });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /the model unpacks to more than 64 MiB, the cap on a model/);
    assert.equal(result.stdout, "");
    assert.ok((result.maxRssKb as number) < RSS_BUDGET_KB, `${result.maxRssKb} kB`);
  });

  it("refuses an archive with too many entries, or one entry over the cap, by its header", async () => {
    const many = new Map(
      Array.from({ length: MODEL_CAPS.entries + 1 }, (_, i) => [`f${i}`, new Uint8Array(1)]),
    );
    await assert.rejects(
      unpackTarGz(await packTarGz(many)),
      /more than 16 entries, the cap on a model/,
    );
    const big = new Map([["compiled.json", new Uint8Array(MODEL_CAPS.entryBytes + 1)]]);
    await assert.rejects(
      unpackTarGz(await packTarGz(big)),
      /"compiled\.json" is 33554433 bytes, over the 32 MiB cap on one file of a model/,
    );
  });

  it("refuses a local model.tar.gz over 16 MiB without reading it", async () => {
    const path = join(await tempDir("big-"), "model.tar.gz");
    await writeFile(path, Buffer.alloc(MODEL_CAPS.compressedBytes + 1, 0x1f));
    await assert.rejects(
      loadLocalModel(path),
      /is 16777217 bytes, over the 16 MiB cap on a model\.tar\.gz/,
    );
  });

  describe("a 400 MB object on S3", () => {
    let server: FakeDependency;
    before(async () => {
      server = await httpServer((_n, _req, res) => {
        res.writeHead(200); // no Content-Length: the cap must count while streaming
        const chunk = Buffer.alloc(MiB, 0x1f);
        let sent = 0;
        const more = () => {
          while (sent < 400 && !res.destroyed) {
            sent++;
            if (!res.write(chunk)) return res.once("drain", more);
          }
          res.end();
        };
        res.on("close", () => {
          sent = 400;
        });
        more();
      });
    });
    after(() => server?.close());

    it("is refused at 16 MiB by the CLI, within the memory budget", async () => {
      const result = await runCli(
        ["predict", "--model", "s3://models/huge/model.tar.gz", "--allow-unverified"],
        {
          input,
          measureRss: true,
          env: {
            AWS_ENDPOINT_URL_S3: server.endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "TEST",
            AWS_SECRET_ACCESS_KEY: "TEST",
          },
        },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /over the 16 MiB cap on a model\.tar\.gz: refusing the model/);
      assert.ok((result.maxRssKb as number) < RSS_BUDGET_KB, `${result.maxRssKb} kB`);
    });
  });
});
