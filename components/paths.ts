/** Where the package's own files are, from source (components/) or from the build (dist/components/). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

const PACKAGE_NAME = "iris-mlops";

/** The folder holding this package's package.json: the repository root, or node_modules/iris-mlops. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === PACKAGE_NAME) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
    dir = parent;
  }
}

/**
 * The Lambda handler's entry: the TypeScript source in a clone of the repository, or its compiled
 * JavaScript in an installed package (which ships dist/ only).
 */
export function defaultHandlerEntry(root: string = packageRoot(), file = "lambda"): string {
  const source = join(root, "handlers", `${file}.ts`);
  if (existsSync(source)) return source;
  return join(root, "dist", "handlers", `${file}.js`);
}

/**
 * `path` relative to the working directory, which under Pulumi is the program's folder, where the
 * engine and the providers resolve relative paths too. An absolute path would differ between
 * clones: it would show as a change on every `pulumi up` from another folder, and point at a file
 * that does not exist there.
 */
export function fromWorkingDir(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === "" ? "." : isAbsolute(rel) ? path : rel;
}
