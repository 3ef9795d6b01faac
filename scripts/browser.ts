/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for the page's browser tests
 * and its screenshot: headless, with a fresh profile, and with every background connection
 * Chromium makes on its own turned off (on a closed network they are refused, many at a time).
 * `CHROMIUM` names another binary. /work/shared/reference/browser-notes.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  readonly context: BrowserContext;
  /** Close the browser and remove its profile. */
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1200, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "iris-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
      timeout: 60_000,
    });
    return {
      context,
      close: async () => {
        try {
          await context.close();
        } finally {
          rmSync(profile, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
