/**
 * The signing keys as a deployer handles them: keygen never leaves half of one pair beside half
 * of another, and a private key given where the public one goes is refused, not quietly used.
 */
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { printable } from "../../cli/models.js";
import { KeyError, parsePublicKey } from "../../core/signature.js";
import { trustFromEnv } from "../../serving/model-env.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/trained.js";

const PRIVATE = "model-signing-key.pem";
const PUBLIC = "model-signing-key.pub.pem";

async function matches(dir: string): Promise<boolean> {
  const priv = createPrivateKey(await readFile(join(dir, PRIVATE), "utf8"));
  const pub = createPublicKey(await readFile(join(dir, PUBLIC), "utf8"));
  const der = (k: ReturnType<typeof createPublicKey>) => k.export({ type: "spki", format: "der" });
  return der(createPublicKey(priv)).equals(der(pub));
}

describe("cli: keygen", () => {
  it("writes a matching pair, and refuses to write either half again when one is there", async () => {
    const dir = tempDir();
    assert.equal((await runCli(["keygen", "--out", dir])).code, 0);
    assert.ok(await matches(dir));
    for (const gone of [PRIVATE, PUBLIC]) {
      const before = { [PRIVATE]: "", [PUBLIC]: "" };
      await rm(join(dir, gone));
      const kept = gone === PRIVATE ? PUBLIC : PRIVATE;
      before[kept] = await readFile(join(dir, kept), "utf8");
      const again = await runCli(["keygen", "--out", dir]);
      assert.notEqual(again.code, 0, "an existing half is never overwritten");
      assert.equal(await readFile(join(dir, kept), "utf8"), before[kept]);
      await assert.rejects(readFile(join(dir, gone)), /ENOENT/, `no lone ${gone} is left`);
      await rm(join(dir, kept));
      assert.equal((await runCli(["keygen", "--out", dir])).code, 0);
      assert.ok(await matches(dir));
    }
  });
});

describe("a private key where the public one goes", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();

  it("is refused by MODEL_PUBLIC_KEY and --public-key, saying to give the public half", async () => {
    assert.throws(
      () => trustFromEnv({ MODEL_PUBLIC_KEY: privatePem }),
      (e: Error) => e instanceof KeyError && /MODEL_PUBLIC_KEY is a private key/.test(e.message),
    );
    const dir = tempDir();
    await writeFile(join(dir, "key.pem"), privatePem);
    const run = await runCli(["predict", "--public-key", join(dir, "key.pem")], {
      input: "5.1,3.5,1.4,0.2\n",
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /is a private key; give its public half/);
  });

  it("the public half is accepted", () => {
    assert.equal(parsePublicKey(publicPem).asymmetricKeyType, "ed25519");
  });
});

describe("cli: models output for people", () => {
  it("shows control characters as escapes, and leaves JSON meaning the same (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        const shown = printable(json);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
        assert.doesNotMatch(shown, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        assert.deepEqual(JSON.parse(shown), JSON.parse(json));
      }),
    );
    assert.equal(printable("models/\u001b[2J\u001b[31mEVIL"), "models/\\u001b[2J\\u001b[31mEVIL");
  });
});
