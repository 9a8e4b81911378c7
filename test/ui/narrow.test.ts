// Stories of a small settings window (issue 12 #9 and #10), in headless Chromium at 420 px: no
// page scrolls sideways (cards and tables reflow below 600 px), every page is checked by axe at
// that width too, and the Publish switch's "Off" label has enough contrast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { fixture, text } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { buildUi, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';

const ANA = { login: { email: 'ana.long-address@example.com', password: 'ana-password-1' } };
const skip = chromiumMissing();

let browser: TestBrowser;
let world: UiWorld;
let page: Page;

/** How far the page scrolls sideways (0: it fits). */
const sideways = (p: Page) => p.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;

if (skip) {
  test(`narrow window stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    world = await startUiWorld(await buildUi(), { slow: fixture('slow-server', { title: 'Echo and friends' }) }, { access: { allow: { emails: [ANA.login.email] } } });
    await world.gw.addLocalUser(ANA.login.email, ANA.login.password);
    const { client } = await world.gw.connect('slow', ANA);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })), 'hi');
    browser = await launchChromium();
    ({ page } = await browser.newPage(world.url));
    await page.setViewportSize({ width: 420, height: 800 });
    await openSettings(page, world);
  });

  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  test('at 420 px no page scrolls sideways: cards and tables reflow', async () => {
    await page.getByRole('article', { name: /Echo and friends/ }).getByText(/Running · 1 process/).waitFor();
    assert.equal(await sideways(page), 0, 'Servers');
    await screenshot(page, 'narrow-servers');
    for (const name of ['Users', 'Activity', 'Access', 'Publish']) {
      await go(page, name);
      if (name === 'Activity') {
        const { client } = await world.gw.connect('slow', ANA);
        await client.callTool({ name: 'echo', arguments: { text: 'again' } });
        await page.locator('table.activity tbody tr').first().waitFor();
      }
      if (name === 'Users') await page.getByText(ANA.login.email).first().waitFor();
      assert.equal(await sideways(page), 0, name);
      await screenshot(page, `narrow-${name.toLowerCase()}`);
    }
  });

  test('the Publish switch reads "Off" with enough contrast (WCAG AA 4.5:1)', async () => {
    await go(page, 'Publish');
    const ratio = await page.evaluate(`(() => {
      const el = document.querySelector('.switch-text');
      const rgb = (c) => (c.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
      const lum = (c) => { const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const fg = lum(rgb(getComputedStyle(el).color));
      const bg = lum(rgb(getComputedStyle(el.parentElement).backgroundColor));
      return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    })()`) as number;
    assert.equal(await page.locator('.switch-text').innerText(), 'Off');
    assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)}:1`);
  });
}
