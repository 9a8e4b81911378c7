// The world of a settings-window story: the UI built once per source state (shared by every UI
// file of a run), a signed-in gateway with its admin API serving that build, the owner's tab
// opened the way the tray opens it, screenshots saved as artifacts, and axe-core run on a page
// (zero critical or serious findings allowed).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './gateway.ts';
import { startSignedInGateway, type SignedInGateway } from './signed-in.ts';
import { rememberSecret } from './log-audit.ts';
import { AdminServer, type AdminServerOptions } from '../../src/admin/admin-server.ts';
import { launchChromium, type TestBrowser } from './chromium.ts';

export const SHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

/** Builds the settings UI as `npm run build:ui` does, once per state of its sources; resolves its folder. */
export async function buildUi(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'dist') await walk(p); } else hash.update(p).update(await fs.readFile(p));
    }
  };
  await walk(path.join(ROOT, 'renderer'));
  const out = path.join(ROOT, '.tmp', 'ui-build', hash.digest('hex').slice(0, 16));
  if (await fs.stat(path.join(out, 'index.html')).then(() => true, () => false)) return out;
  const { build } = await import('vite');
  const tmp = `${out}.${process.pid}`;
  await build({ configFile: path.join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
  // Another file of the run may have built it meanwhile: the first rename wins.
  await fs.rename(tmp, out).catch(() => fs.rm(tmp, { recursive: true, force: true }));
  return out;
}

/** The owner's settings window: a signed-in gateway and its admin API serving the UI build. */
export interface UiWorld {
  gw: SignedInGateway;
  admin: AdminServer;
  url: string;
  token: string;
  stop(): Promise<void>;
}

export async function startUiWorld(
  uiDir: string,
  servers: Record<string, unknown>,
  options: Parameters<typeof startSignedInGateway>[1] = {},
  admin: Partial<AdminServerOptions> & { port?: number } = {},
): Promise<UiWorld> {
  const gw = await startSignedInGateway(servers, options);
  const server = new AdminServer({
    publisher: gw.publisher, configFile: options.configFile, secrets: gw.secrets, state: gw.state,
    logger: gw.publisher.logger.child({ component: 'admin' }), uiDir, ...admin,
  });
  const endpoint = await server.start(admin.port);
  rememberSecret(endpoint.token);
  return {
    gw, admin: server, url: endpoint.url, token: endpoint.token,
    async stop() { await server.stop(); await gw.close(); },
  };
}

/** Opens the settings as the tray does: the token in the fragment. */
export async function openSettings(p: Page, w: { url: string; token: string }, hash = ''): Promise<void> {
  await p.goto(`${w.url}/#token=${encodeURIComponent(w.token)}`);
  await p.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
  if (hash) await p.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

/** Goes to a page of the settings through the sidebar. */
export async function go(p: Page, name: string): Promise<void> {
  await p.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await p.getByRole('heading', { level: 1, name }).waitFor();
}

/**
 * Saves the viewport and the full page as test-artifacts/screenshots/<name>.png (and full/), and
 * runs axe-core on the page as shown: every page a story shows is checked.
 */
export async function screenshot(p: Page, name: string, scrollTo?: string): Promise<void> {
  await fs.mkdir(path.join(SHOTS, 'full'), { recursive: true });
  await p.mouse.move(0, 0);
  await p.evaluate('document.activeElement?.blur()');
  if (scrollTo) await p.locator(scrollTo).first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
  else await p.evaluate('window.scrollTo(0, 0)');
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  await p.screenshot({ path: path.join(SHOTS, 'full', `${name}.png`), fullPage: true });
  await checkAccessibility(p, name);
}

let axeSource: string | undefined;

interface AxeViolation { id: string; impact?: string; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }

/**
 * Runs axe-core on the page as it is (WCAG 2.x A and AA rules and best practices) and fails on
 * any critical or serious finding, listing each with the elements it found. Resolves the rest.
 */
export async function checkAccessibility(p: Page, label: string): Promise<AxeViolation[]> {
  axeSource ??= await fs.readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Through the debugger protocol, not a <script>: the pages' CSP allows no inline script.
  if (!(await p.evaluate('typeof window.axe === "object"'))) await p.evaluate(axeSource);
  const violations = await p.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  })))`) as AxeViolation[];
  const grave = violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
  assert.deepEqual(grave.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`), [], `axe on ${label}`);
  return violations;
}

/** GET on the admin API with the token; asserts 200. */
export async function adminGet<T>(w: { url: string; token: string }, route: string): Promise<T> {
  const res = await fetch(w.url + route, { headers: { authorization: `Bearer ${w.token}` } });
  assert.equal(res.status, 200, route);
  return await res.json() as T;
}

/** The next `name` event of the admin API's stream for which `match` holds (the stream is closed after). */
export async function nextEvent<T>(w: { url: string; token: string }, name: string, match: (data: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(`${w.url}/api/events?token=${encodeURIComponent(w.token)}`, { signal: ac.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event === name && data) {
          const parsed = JSON.parse(data) as T;
          if (match(parsed)) return parsed;
        }
      }
    }
    throw new Error(`the event stream ended without a matching "${name}" event`);
  } catch (e) {
    if (ac.signal.aborted) throw new Error(`no matching "${name}" event within ${timeoutMs} ms`);
    throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** A story's world on a config file of its own: the folder, the file, the core, and Chromium with the settings open. */
export interface UiStory {
  tmp: string;
  configFile: string;
  world: UiWorld;
  browser: TestBrowser;
  page: Page;
  /** Closes the browser and the core and removes the folder. */
  close(): Promise<void>;
}

/**
 * Writes a config with `servers` (and `config`'s other settings) to a new folder, starts the
 * signed-in core on it with its admin API serving the UI, and opens the settings in Chromium.
 */
export async function startUiStory(prefix: string, servers: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<UiStory> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const configFile = path.join(tmp, 'config.json');
  await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, ...config, gateway: { port: 0 } }, null, 2));
  const world = await startUiWorld(await buildUi(), servers, { configFile, ...(config.access ? { access: config.access as Record<string, unknown> } : {}) });
  const browser = await launchChromium();
  const { page } = await browser.newPage(world.url);
  await openSettings(page, world);
  return {
    tmp, configFile, world, browser, page,
    async close() {
      await browser.close();
      await world.stop();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}
