/**
 * The model flags `serve` and `predict` share (--sha256, --public-key, --allow-unverified), the
 * loading they drive, and `keygen`: a model from S3 is refused unless pinned or signed by a key
 * the user names, or they opt in (serving/model-trust.ts).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { Predictor } from "../core/predictor.js";
import { keyFingerprint, parsePrivateKey, parsePublicKey } from "../core/signature.js";
import { createLogger } from "../server/log.js";
import { loadLocalModel } from "../serving/model-load.js";
import { parsePin, type TrustPolicy } from "../serving/model-trust.js";

export interface ModelFlags {
  sha256?: string;
  publicKey?: string;
  allowUnverified?: boolean;
}

const pin = (value: string): string => {
  try {
    return parsePin(value, "--sha256") as string;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

export function addModelOptions(command: Command): Command {
  return command
    .option("--sha256 <hex>", "trust the model only if its model.tar.gz has this sha256", pin)
    .option(
      "--public-key <file>",
      "trust the model only if it carries a signature by this Ed25519 public key (PEM)",
    )
    .option(
      "--allow-unverified",
      "load a model from S3 that is neither pinned nor signed (refused otherwise)",
    );
}

async function trustFrom(flags: ModelFlags): Promise<TrustPolicy> {
  const publicKey = flags.publicKey
    ? parsePublicKey(await readFile(flags.publicKey, "utf8"), flags.publicKey)
    : undefined;
  return { sha256: flags.sha256, publicKey, allowUnverified: flags.allowUnverified === true };
}

/** Load the model as the flags say; every S3 attempt and the verification go to stderr. */
export async function loadModelForCli(source: string, flags: ModelFlags): Promise<Predictor> {
  const log = createLogger(process.env.LOG_LEVEL ?? "info", (line) => process.stderr.write(line));
  const trust = await trustFrom(flags);
  // the AWS SDK takes about 100 ms to load: only a model in S3 needs it
  const predictor = source.startsWith("s3://")
    ? await (
        require("../serving/model-source.js") as typeof import("../serving/model-source.js")
      ).loadPredictorFrom(source, {
        trust,
        log: ({ outcome, ...line }) =>
          (outcome === "ok" ? log.info : log.warn)({ outcome, ...line }, "s3 attempt"),
      })
    : await loadLocalModel(source, trust);
  process.stderr.write(
    `model ${predictor.modelVersion} from ${source}: ${predictor.verification}\n`,
  );
  return predictor;
}

export async function readSigningKey(path: string) {
  return parsePrivateKey(await readFile(path, "utf8"), path);
}

/** `iris-mlops keygen`: an Ed25519 pair, the private half readable by its owner only. */
export async function keygen(outDir: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await mkdir(outDir, { recursive: true });
  const privatePath = join(outDir, "model-signing-key.pem");
  const publicPath = join(outDir, "model-signing-key.pub.pem");
  // never overwrite either half (models signed with the old key would no longer verify), and
  // never leave one half beside another pair's: the public half is written first, exclusively
  await writeFile(publicPath, publicKey.export({ type: "spki", format: "pem" }), { flag: "wx" });
  try {
    await writeFile(privatePath, privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
      flag: "wx",
    });
  } catch (error) {
    await rm(publicPath, { force: true });
    throw error;
  }
  return `wrote ${privatePath} (keep it secret) and ${publicPath}, key ${keyFingerprint(publicKey)}\n`;
}
