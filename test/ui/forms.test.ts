// Stories of the owner's forms when something is wrong (issue 12 #2 and #5), in headless
// Chromium: every problem of a form is a sentence beside its field, all at once, the first one
// focused, each gone when its field changes; emails and domains are checked as they are added to
// the access lists; leaving a page or a form with unsaved changes asks first; a save says so and
// the new server is highlighted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { type UiStory, type UiWorld, go, screenshot, startUiStory } from '../support/ui.ts';

const skip = chromiumMissing();

let tmp: string;
let configFile: string;
let story: UiStory;
let world: UiWorld;
let page: Page;

const isFocused = (p: Page, label: string) => p.getByLabel(label, { exact: true }).evaluate((e) => e === e.ownerDocument.activeElement);

async function put(route: string, body: unknown): Promise<{ status: number; json: { error: string; message: string; problems: { path: string; reason: string }[] } }> {
  const res = await fetch(world.url + route, { method: 'PUT', headers: { authorization: `Bearer ${world.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() as never };
}

if (skip) {
  test(`form stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    story = await startUiStory('mcpp-forms-', { slow: fixture('slow-server', { title: 'Echo and friends' }) });
    ({ tmp, configFile, world, page } = story);
  });

  after(async () => { await story?.close(); });

  test('a server saved without a command and with a bad environment line: sentences beside both fields at once, the first focused, each gone when its field changes', async () => {
    // The API says it in words too, with the path of the field.
    const api = await put('/api/servers/x', { command: '' });
    assert.equal(api.status, 400);
    assert.deepEqual(api.json.problems, [{ path: 'mcpServers.x.command', reason: 'Enter the program to run, for example npx, uvx or node' }]);
    assert.doesNotMatch(api.json.message, /Too small|expected string/);

    await page.getByRole('button', { name: 'Add server' }).first().click();
    await page.getByRole('button', { name: 'write one by hand' }).click();
    const form = page.getByRole('form', { name: 'New server' });
    await form.getByLabel('Name', { exact: true }).fill('github');
    await form.getByLabel('Environment').fill('LOG_LEVEL');
    await form.getByRole('button', { name: 'Add server' }).click();

    const summary = form.getByRole('alert').filter({ hasText: 'Not saved' });
    await summary.waitFor();
    assert.match(await summary.innerText(), /2 things to fix/);
    const command = form.locator('.field', { has: page.getByLabel('Command', { exact: true }) });
    const env = form.locator('.field', { has: page.getByLabel('Environment') });
    assert.equal(await command.getByRole('alert').innerText(), 'Enter the program to run, for example npx, uvx or node.');
    assert.match(await env.getByRole('alert').innerText(), /^Line 1 \("LOG_LEVEL"\) is not NAME=value: write one NAME=value per line\.$/);
    assert.ok(await isFocused(page, 'Command'), 'the first field with a problem has the focus');
    await screenshot(page, 'server-form-errors', 'form[aria-label="New server"]');

    await form.getByLabel('Command', { exact: true }).fill('npx');
    await command.getByRole('alert').waitFor({ state: 'detached' });
    assert.equal(await env.getByRole('alert').count(), 1, 'the other problem stays until its own field changes');
    await form.getByLabel('Environment').fill('LOG_LEVEL=info');
    await env.getByRole('alert').waitFor({ state: 'detached' });
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog', { name: 'Discard your changes?' }).getByRole('button', { name: 'Discard changes' }).click();
    await form.waitFor({ state: 'detached' });
  });

  test('an address that is not an email (or a domain) is refused as it is added to an access list, and by the API', async () => {
    await go(page, 'Access');
    const emails = page.getByLabel('Email addresses', { exact: true });
    await emails.fill('not-an-email');
    await emails.press('Enter');
    const field = page.locator('.field', { has: emails });
    assert.equal(await field.getByRole('alert').innerText(), '"not-an-email" is not an email address: write it as name@example.com.');
    assert.equal(await emails.inputValue(), 'not-an-email', 'it stays in the input to be corrected');
    assert.equal(await page.getByRole('list', { name: 'Current email addresses' }).count(), 0, 'nothing was added');
    const domains = page.getByLabel('Denied domains', { exact: true });
    await domains.fill('https://example.org');
    await domains.press('Enter');
    await page.locator('.field', { has: domains }).getByText(/is not a domain: write it as example\.com/).waitFor();
    await screenshot(page, 'access-list-errors', '#allow-title');

    await emails.fill('cy@example.com');
    await field.getByRole('alert').waitFor({ state: 'detached' });
    await emails.press('Enter');
    await page.getByRole('list', { name: 'Current email addresses' }).getByText('cy@example.com').waitFor();
    await page.getByRole('button', { name: 'Revert' }).click();

    const api = await put('/api/access', { allow: { emails: ['not-an-email'] } });
    assert.equal(api.status, 400);
    assert.deepEqual(api.json.problems, [{ path: 'access.allow.emails[0]', reason: '"not-an-email" is not an email address: write it as name@example.com' }]);
    assert.equal(JSON.parse(await fs.readFile(configFile, 'utf8')).access, undefined, 'nothing was saved');
  });
}

if (!skip) {
  test('leaving the Access page with unsaved changes asks first: Stay keeps them, Discard drops them', async () => {
    await go(page, 'Access');
    const emails = page.getByLabel('Email addresses', { exact: true });
    await emails.fill('dee@example.com');
    await emails.press('Enter');
    await page.getByText('You have unsaved changes.').waitFor();
    const nav = page.getByRole('navigation', { name: 'Settings' });
    await nav.getByRole('link', { name: /^Users/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard your changes?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /You have not saved the sign-in settings/);
    await page.getByRole('heading', { level: 1, name: 'Access' }).waitFor();
    assert.ok(await dialog.getByRole('button', { name: 'Stay and keep editing' }).evaluate((e) => e === e.ownerDocument.activeElement), 'Stay has the focus');
    await screenshot(page, 'unsaved-changes');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('list', { name: 'Current email addresses' }).getByText('dee@example.com').waitFor();

    await nav.getByRole('link', { name: /^Users/ }).click();
    await dialog.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await go(page, 'Access');
    assert.equal(await page.getByRole('list', { name: 'Current email addresses' }).count(), 0, 'the change was discarded');
  });

  test('Cancel on a server form with typed changes asks first; a saved server is confirmed and highlighted', async () => {
    await go(page, 'Servers');
    await page.getByRole('button', { name: 'Add server' }).first().click();
    await page.getByRole('button', { name: 'write one by hand' }).click();
    const form = page.getByRole('form', { name: 'New server' });
    await form.getByLabel('Name', { exact: true }).fill('memo');
    await form.getByLabel('Command', { exact: true }).fill(process.execPath);
    await form.getByLabel('Arguments').fill(['--import', 'tsx', path.resolve('test/fixtures/slow-server.ts')].join('\n'));
    await form.getByRole('button', { name: 'Cancel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard your changes?' });
    assert.match(await dialog.innerText(), /You have not saved the new server/);
    await dialog.getByRole('button', { name: 'Stay and keep editing' }).click();
    assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), 'memo', 'nothing was lost');

    await form.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('status').filter({ hasText: 'Added memo.' }).waitFor();
    const card = page.getByRole('article', { name: 'memo', exact: true });
    assert.equal(await card.getAttribute('data-highlight'), 'true');
    await card.getByText('Ready', { exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'server-added');
    // Nothing is unsaved any more: the sidebar goes straight on.
    await go(page, 'Users');
  });
}
