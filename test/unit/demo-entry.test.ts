// Which config entry is the built-in demo the desktop app serves from its own process
// (electron/demo-server.ts): the one `mcp-publish` makes, or one saved by an earlier launch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.ts';
import { demoServer } from '../../src/publisher.ts';
import { isDemoEntry, withDemoAt, type DemoServer } from '../../electron/demo-server.ts';

test('the demo entry is recognized as made, or as saved by an earlier launch, and re-pointed at this launch\'s demo', () => {
  const saved = 'http://127.0.0.1:41234/demo-AAAAAAAAAAAAAAAAAAAAAA/mcp';
  const config = parseConfig({
    mcpServers: {
      demo: demoServer(),
      old: { url: saved, enabled: false },
      mine: { url: 'http://127.0.0.1:8080/mcp' },
      tool: { command: process.execPath, args: ['my-server.js'] },
    },
  });
  assert.deepEqual(Object.entries(config.mcpServers).filter(([, s]) => isDemoEntry(s)).map(([n]) => n), ['demo', 'old']);
  const here: DemoServer = { url: 'http://127.0.0.1:5555/demo-BBBBBBBBBBBBBBBBBBBBBB/mcp', sessions: 0, close: async () => {} };
  const next = withDemoAt(config, here).mcpServers;
  assert.deepEqual([next.demo, next.old].map((s) => [(s as { url?: string }).url, s!.title, s!.enabled]), [
    [here.url, 'Demo (server-everything)', true],
    [here.url, 'Demo (server-everything)', false],
  ]);
  assert.deepEqual(next.mine, config.mcpServers.mine);
  assert.deepEqual(next.tool, config.mcpServers.tool);
});
