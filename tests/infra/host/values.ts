/**
 * Property values as they cross the wire between the Node SDK and the engine (google.protobuf
 * Struct JSON, with Pulumi's special objects marked by a signature key), read two ways: as the
 * engine records them, and decoded into plain values for the mocks' computed fields.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export type Decoded = unknown;

// The SDK's signatures (sdk/nodejs/runtime/rpc.ts)
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7";
const RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * The value as the engine keeps it: everything the program sent, unchanged, plus each asset's
 * hash. Like the engine (resmon's WorkingDirectory is the program's folder), a relative asset
 * path is read from `workingDir`; a path that does not exist fails as it fails `pulumi up`.
 */
export function engineView(value: unknown, workingDir: string): Decoded {
  if (Array.isArray(value)) return value.map((v) => engineView(v, workingDir));
  if (!isObject(value)) return value;
  if (value[SIG] === ASSET) {
    const hash =
      typeof value.path === "string"
        ? sha256(readAsset(value.path, workingDir))
        : typeof value.text === "string"
          ? sha256(value.text)
          : undefined;
    return { ...value, hash };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, engineView(v, workingDir)]));
}

function readAsset(path: string, workingDir: string): Buffer {
  try {
    return readFileSync(resolve(workingDir, path));
  } catch (err) {
    throw new Error(`failed to open asset file '${path}' (from ${workingDir}): ${err}`);
  }
}

/** Plain values for the mocks: secrets unwrapped, unknowns undefined, assets as a marker. */
export function decode(value: unknown): Decoded {
  if (value === UNKNOWN) return undefined;
  if (Array.isArray(value)) return value.map(decode);
  if (!isObject(value)) return value;
  switch (value[SIG]) {
    case SECRET:
    case OUTPUT:
      return decode(value.value);
    case ASSET:
    case ARCHIVE:
      return "<asset>";
    case RESOURCE:
      return value.id ?? value.urn;
    default:
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
}
