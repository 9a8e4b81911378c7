// Real headless Chromium for the UI stories: Debian's package at /usr/bin/chromium (playwright's
// own browser download cannot run here), driven by playwright-core. Flags keep it off the network
// (no background services, no QUIC) and quiet; each launch gets a fresh profile.
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MCP_PUBLISH_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];

/** Why the UI stories cannot run here (for a skipped test's name), or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return fs.existsSync(CHROMIUM_PATH) ? undefined : `skipped: no Chromium at ${CHROMIUM_PATH} (as root: apt-get install -y chromium)`;
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (its own cookies and storage) at 1280×800, clipboard allowed for `origin`. */
  newPage(origin?: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  /** Closes every context and the browser process. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(origin) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC' });
      contexts.push(context);
      if (origin) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      // What the page itself reports: script errors, refused requests, CSP violations.
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      return { context, page, errors };
    },
    async close() {
      for (const c of contexts.splice(0)) await c.close().catch(() => {});
      await browser.close();
    },
  };
}
