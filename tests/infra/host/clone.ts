/**
 * A fresh checkout of the repository in a temporary folder: the files git tracks, as they are in
 * the working tree, and node_modules linked to this one's (an `npm ci` would give the same tree).
 * Anything a program needs that is not tracked is missing there, as on a CI runner.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface Clone {
  readonly dir: string;
  remove(): void;
}

export function cloneRepository(root: string, label: string): Clone {
  // realpath: the engine and run.js see resolved paths, and /tmp may itself be a link
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `iris-${label}-`)));
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((path) => path !== "" && existsSync(join(root, path)));
  for (const path of tracked) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(join(root, path), join(dir, path));
  }
  symlinkSync(realpathSync(join(root, "node_modules")), join(dir, "node_modules"), "dir");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
