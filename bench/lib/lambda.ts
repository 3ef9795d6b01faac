/**
 * The Lambda part of the serving benchmark: bundle handlers/lambda.ts as it is deployed, serve
 * the model from a loopback S3 (s3rver), and time fresh node processes (cold) and many
 * in-process invocations (warm) of the bundle.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { build } from "esbuild";
import { bundleHandler } from "../../components/bundle.js";
import { run, splitArgv } from "./processes.js";
import { median, quantile } from "./stats.js";

/**
 * The bundle as LambdaInferenceApi deploys it, by the component's own bundler
 * (components/bundle.ts): its defaults, source map included, which the function runs with
 * NODE_OPTIONS=--enable-source-maps (see lambdaEnv).
 */
export const LAMBDA_BUNDLE = {
  bundler: "components/bundle.ts bundleHandler",
  sourceMap: true,
  nodeOptions: "--enable-source-maps",
} as const;

export interface BundleInfo {
  file: string;
  bytes: number;
  gzipBytes: number;
  /** The source map beside it (not loaded unless a stack trace is printed). */
  mapBytes: number;
  /** The inputs that weigh most in the output, by package (minified bytes). */
  largestPackages: { name: string; bytes: number }[];
}

export async function bundleLambda(outDir: string): Promise<BundleInfo> {
  const file = join(outDir, "index.js");
  const entry = join(process.cwd(), "handlers", "lambda.ts");
  const deployed = await bundleHandler(entry, { sourceMap: LAMBDA_BUNDLE.sourceMap });
  writeFileSync(file, deployed.code);
  if (deployed.sourceMap !== undefined) writeFileSync(`${file}.map`, deployed.sourceMap);
  // what weighs what: the same build once more, with a metafile
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    write: false,
    outfile: file,
    metafile: true,
    logLevel: "error",
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? (match[1] as string) : "(this project)";
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    file,
    bytes: statSync(file).size,
    gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length,
    mapBytes: deployed.sourceMap?.length ?? 0,
    largestPackages: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, size]) => ({ name, bytes: size })),
  };
}

interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface LoopbackS3 {
  endpoint: string;
  bucket: string;
  key: string;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 (an ephemeral port), in this process, holding the model at bucket/key. */
export async function startLoopbackS3(directory: string, model: Uint8Array): Promise<LoopbackS3> {
  // s3rver ships no types
  const S3rver = require("s3rver") as S3rverClass;
  const bucket = "iris-mlops-models";
  const key = "models/model.tar.gz";
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: model }));
  client.destroy();
  return { endpoint, bucket, key, close: () => server.close() };
}

/** The environment of the function, as Lambda would set it, pointed at the loopback S3. */
export function lambdaEnv(s3: LoopbackS3, sha256: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("AWS_")) delete env[name];
  return {
    ...env,
    MODEL_BUCKET: s3.bucket,
    MODEL_KEY: s3.key,
    MODEL_SHA256: sha256,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_LAMBDA_FUNCTION_NAME: "iris-mlops-bench",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    NODE_OPTIONS: LAMBDA_BUNDLE.nodeOptions,
    NODE_ENV: "production",
  };
}

export interface ColdRun {
  /** parent's spawn() → the first response in the child (includes exec of node). */
  spawnToResponseMs: number;
  /** node's own time origin → the first response. */
  nodeStartToResponseMs: number;
  /** require() of the bundle: module load, SDK and Powertools set-up; the S3 fetch starts here. */
  requireMs: number;
  /** The first invocation: awaits the S3 fetch, sha256 check and parse, then predicts. */
  firstInvocationMs: number;
  /** require + first invocation: the in-process part of a cold start. */
  inProcessMs: number;
}

const RUNNER = "bench/lambda/invoke.cjs";

export async function coldRun(
  bundle: string,
  env: NodeJS.ProcessEnv,
  resultFile: string,
  pin: string[],
): Promise<ColdRun> {
  const [command, args] = splitArgv([...pin, "node", RUNNER, "cold", bundle, resultFile]);
  const spawnedAt = performance.timeOrigin + performance.now();
  await run(command, args, { env, timeoutMs: 60_000, discardStdout: true });
  const r = JSON.parse(readFileSync(resultFile, "utf8")) as {
    startedMs: number;
    loadedMs: number;
    answeredMs: number;
    answeredEpochMs: number;
  };
  return {
    spawnToResponseMs: r.answeredEpochMs - spawnedAt,
    nodeStartToResponseMs: r.answeredMs,
    requireMs: r.loadedMs - r.startedMs,
    firstInvocationMs: r.answeredMs - r.loadedMs,
    inProcessMs: r.answeredMs - r.startedMs,
  };
}

export interface WarmResult {
  processes: number;
  invocationsPerProcess: number;
  warmupPerProcess: number;
  medianUs: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  /** Each process's median. */
  processMediansUs: number[];
}

export async function warmRuns(
  bundle: string,
  env: NodeJS.ProcessEnv,
  resultFile: string,
  pin: string[],
  { processes, warmup, invocations }: { processes: number; warmup: number; invocations: number },
): Promise<WarmResult> {
  const all: number[] = [];
  const processMediansUs: number[] = [];
  for (let p = 0; p < processes; p++) {
    const [command, args] = splitArgv([
      ...pin,
      "node",
      RUNNER,
      "warm",
      bundle,
      resultFile,
      String(warmup),
      String(invocations),
    ]);
    await run(command, args, { env, timeoutMs: 300_000, discardStdout: true });
    const { micros } = JSON.parse(readFileSync(resultFile, "utf8")) as { micros: number[] };
    processMediansUs.push(median(micros));
    all.push(...micros);
  }
  all.sort((a, b) => a - b);
  return {
    processes,
    invocationsPerProcess: invocations,
    warmupPerProcess: warmup,
    medianUs: median(processMediansUs),
    p90Us: quantile(all, 0.9),
    p99Us: quantile(all, 0.99),
    meanUs: all.reduce((a, b) => a + b, 0) / all.length,
    processMediansUs,
  };
}
