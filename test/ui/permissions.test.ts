// A story of the Tools tab (issue 14), in headless Chromium: the owner opens a filesystem-like
// server's tools (listed from a test start with what they say of themselves), gives the group
// "contractors" the read-only preset, previews the server as a contractor before saving (only
// the read-only tools allowed, the others refused with the reason), saves, and the rules are in
// the config and in force. Screenshots in test-artifacts/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { screenshot, startUiStory, type UiStory } from '../support/ui.ts';

const skip = chromiumMissing();

let story: UiStory;
let tmp: string;
let page: Page;

if (skip) {
  test(`the Tools tab in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    story = await startUiStory('mcpp-tools-', { files: fixture('files-server', { title: 'Team files' }) });
    ({ tmp, page } = story);
  });
  after(async () => { await story?.close(); });

  test('the owner gives the group "contractors" the read-only preset, previews the server as a contractor, and saves', async () => {
    await page.getByRole('button', { name: 'Tools and permissions of files' }).click();
    const panel = page.getByRole('region', { name: 'Tools and permissions: Team files' });
    const table = panel.getByRole('table', { name: 'Tools of files and who may use them' });
    await table.waitFor();
    const row = (tool: string) => table.getByRole('row').filter({ has: page.getByText(tool, { exact: true }) });
    assert.match(await row('read_file').innerText(), /Read-only/);
    assert.match(await row('write_file').innerText(), /Changes things/);
    assert.match(await row('delete_file').innerText(), /Not stated/, 'no annotations: not read-only');
    assert.match(await row('list_files').innerText(), /List files/, 'the title from its annotations');
    await row('write_file').getByText('everyone else (everything)').waitFor();

    // A rule for the group, everyone else nothing.
    await panel.getByLabel('Everyone else (people no rule below names)').selectOption('nothing');
    await panel.getByRole('button', { name: 'Add a rule' }).click();
    const rule = panel.getByRole('group', { name: 'Rule 1' });
    await rule.getByLabel('Who').fill('group:contractors');
    await rule.getByLabel('May use').selectOption('read-only');

    // The preview as someone in that group, before anything is saved.
    await panel.getByLabel('Preview as').selectOption({ label: 'Someone else…' });
    await panel.getByLabel('Their email').fill('carl@contractor.example');
    await panel.getByLabel('Their groups').fill('contractors');
    const asCarl = table.getByRole('columnheader', { name: 'As carl@contractor.example' });
    await asCarl.waitFor();
    await row('write_file').getByText('Refused').waitFor();
    assert.match(await row('read_file').innerText(), /Allowed/);
    assert.match(await row('list_files').innerText(), /Allowed/);
    assert.match(await row('write_file').innerText(), /Refused[\s\S]*not marked read-only/);
    assert.match(await row('delete_file').innerText(), /Refused/);
    assert.match(await row('read_file').innerText(), /group:contractors \(read-only\)/);
    assert.match(await row('write_file').innerText(), /only you/, 'nobody but the owner may write now');
    const saved = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    assert.equal(saved.mcpServers.files.permissions, undefined, 'a preview saves nothing');
    await screenshot(page, 'tools-tab-read-only-preview', 'div.preview-as');

    await panel.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved your changes to files' }).waitFor();
    const after = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    assert.deepEqual(after.mcpServers.files.permissions, { everyone: 'nothing', allow: [{ who: ['group:contractors'], preset: 'read-only' }] });
    const card = page.getByRole('article', { name: /Team files/ });
    assert.match(await card.innerText(), /Permissions: 1 rule; everyone else may use nothing/);
  });

  test('a rule that names nobody it can understand is refused beside the rules, and nothing is saved', async () => {
    await page.getByRole('button', { name: 'Tools and permissions of files' }).click();
    const panel = page.getByRole('region', { name: 'Tools and permissions: Team files' });
    await panel.getByRole('button', { name: 'Add a never-allowed rule' }).click();
    const deny = panel.getByRole('group', { name: 'Never allowed 1' });
    await deny.getByLabel('Who').fill('contractors without a prefix');
    await deny.getByLabel('Tools').fill('delete_*');
    await panel.getByRole('button', { name: 'Save permissions' }).click();
    await panel.getByRole('alert').filter({ hasText: /^Not saved/ }).waitFor();
    // Beside the field it is about, which is marked invalid.
    const who = deny.getByLabel('Who');
    assert.equal(await who.getAttribute('aria-invalid'), 'true');
    assert.match(await deny.getByRole('alert').innerText(), /use "\*", an email, "@domain"/i);
    await screenshot(page, 'tools-tab-refused-rule', 'section.permissions');
    const after = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    assert.equal(after.mcpServers.files.permissions.deny, undefined);
  });
}
