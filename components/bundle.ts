/**
 * The Lambda bundle: one esbuild build of the handler entry, in memory. Everything that could make
 * two builds of the same code differ is pinned (no metafile, no timestamps, paths relative to the
 * package root, source maps without embedded sources), so the same code always gives the same
 * bytes, the same hash and no redeploy.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { build } from "esbuild";

export interface Bundle {
  /** index.js, CommonJS for Node 22, minified. */
  readonly code: string;
  /** index.js.map, when source maps were asked for. */
  readonly sourceMap?: string;
  /** Base64 sha256 of the code and its map: what Lambda's sourceCodeHash tracks. */
  readonly hash: string;
}

export interface BundleOptions {
  /** Also emit index.js.map, linked from index.js (sourcesContent left out). */
  readonly sourceMap: boolean;
  /** Modules left out of the bundle (e.g. `@aws-sdk/*` to use the runtime's copy). */
  readonly external?: readonly string[];
  /**
   * Paths in the bundle and its map are written relative to this folder. Default: the project the
   * entry belongs to (the nearest folder above it with a package.json), so the same code bundles
   * to the same bytes from any clone, in this repository or in a consumer's.
   */
  readonly root?: string;
}

/** The nearest folder at or above `from` holding a package.json. */
export function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir)
      throw new Error(
        `no package.json above ${from}: pass \`root\` to bundle a handler outside a project`,
      );
  }
}

export async function bundleHandler(entry: string, options: BundleOptions): Promise<Bundle> {
  if (!existsSync(entry)) throw new Error(`the Lambda handler entry ${entry} does not exist`);
  const root = options.root ?? projectRoot(dirname(entry));
  // never written: it only fixes the relative paths in the source map
  const outfile = join(root, ".pulumi-build", "lambda", "index.js");
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: options.sourceMap ? "linked" : false,
    sourcesContent: false,
    metafile: false,
    legalComments: "none",
    external: [...(options.external ?? [])],
    logLevel: "silent",
  });
  const byName = new Map(result.outputFiles.map((f) => [basename(f.path), f.text]));
  const code = byName.get("index.js");
  if (code === undefined)
    throw new Error(`esbuild produced no index.js for ${relative(root, entry)}`);
  const sourceMap = byName.get("index.js.map");
  const hash = createHash("sha256")
    .update(code)
    .update("\0")
    .update(sourceMap ?? "")
    .digest("base64");
  return sourceMap === undefined ? { code, hash } : { code, sourceMap, hash };
}

/** The bundle as a Lambda function's code: index.js, and index.js.map when there is one. */
export function bundleArchive(bundle: Bundle): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(bundle.code),
    ...(bundle.sourceMap === undefined
      ? {}
      : { "index.js.map": new pulumi.asset.StringAsset(bundle.sourceMap) }),
  });
}
