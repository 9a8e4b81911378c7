// `mcp-publish import`: a user brings the MCP servers of Claude Desktop, Cursor and VS Code into
// MCP Publish. Real client files in a fake home, on each platform's default locations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/load.ts';
import { importServers, knownClientConfigs, readClientConfig, runImport, stripJsonc } from '../../src/config/import.ts';

const CLAUDE = `{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/ana/Desktop", "/Users/ana/Downloads"]
    },
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_doNotPrintThisValue" }
    }
  },
  "globalShortcut": "Ctrl+Space"
}
`;

// The same github server as Claude's (keys in another order), plus a remote one and two mistakes.
const CURSOR = `{
  "mcpServers": {
    "github": {
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_doNotPrintThisValue" },
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "command": "npx"
    },
    "notes": { "url": "http://127.0.0.1:8080/mcp" },
    "docs": { "args": ["-y", "docs-mcp"] },
    "sqlite": { "command": "uvx", "args": ["mcp-server-sqlite", "--db-path", 42] }
  }
}
`;

const VSCODE_MCP = `{
  // Inputs are asked on the server's first start, then kept by VS Code.
  "inputs": [
    { "type": "promptString", "id": "perplexity-key", "description": "Perplexity API Key", "password": true },
    { "type": "promptString", "id": "api-token", "description": "Internal API token", "password": true },
  ],
  "servers": {
    /* Perplexity's server; the key comes from the input above */
    "perplexity": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "server-perplexity-ask"],
      "env": { "PERPLEXITY_API_KEY": "\${input:perplexity-key}" },
      "envFile": "\${workspaceFolder}/.env",
    },
    "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] },
    "internal": {
      "type": "http",
      "url": "http://127.0.0.1:9000/mcp", // a // inside a string is not a comment
      "headers": { "Authorization": "Bearer \${input:api-token}" },
    },
    "events": { "type": "sse", "url": "http://localhost:3001/sse" },
  },
}
`;

const VSCODE_SETTINGS = `{
  "editor.fontSize": 14,
  "workbench.colorTheme": "Default Dark Modern",
  // MCP servers lived here before VS Code 1.102 moved them to mcp.json
  "mcp": {
    "servers": {
      "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
      "time": { "type": "stdio", "command": "uvx", "args": ["mcp-server-time", "--local-timezone=Europe/Lisbon"] },
    },
  },
}
`;

// Ana's MCP Publish config: filesystem is the same as Claude's, memory differs from VS Code's.
const EXISTING = `${JSON.stringify({
  mcpServers: {
    filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/ana/Desktop', '/Users/ana/Downloads'] },
    memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { MEMORY_FILE_PATH: '/srv/memory.json' } },
    mine: { command: 'node', args: ['/opt/mine/server.js'], isolation: 'shared' },
  },
  access: { allow: { emails: ['ana@example.com'] } },
  gateway: { port: 0 },
}, null, 2)}\n`;

const APP_DATA = { linux: ['.config'], darwin: ['Library', 'Application Support'], win32: ['AppData', 'Roaming'] } as const;
type Platform = keyof typeof APP_DATA;

/** A temp dir with a fake home, the client files at `platform`'s default places, and our config dir. */
async function world(t: { after: (fn: () => Promise<void>) => void }, platform: Platform = 'linux') {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-import-')));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const home = path.join(root, 'home');
  const appData = path.join(home, ...APP_DATA[platform]);
  const env = platform === 'win32' ? { APPDATA: appData } : {};
  const files = {
    claude: path.join(appData, 'Claude', 'claude_desktop_config.json'),
    cursor: path.join(home, '.cursor', 'mcp.json'),
    vscodeMcp: path.join(appData, 'Code', 'User', 'mcp.json'),
    vscodeSettings: path.join(appData, 'Code', 'User', 'settings.json'),
  };
  const configFile = path.join(root, 'app', 'config.json');
  const write = async (file: string, text: string) => { await fs.mkdir(path.dirname(file), { recursive: true }); await fs.writeFile(file, text); };
  const run = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runImport(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } }, { configFile, platform, env, home });
    return { code, stdout, stderr };
  };
  const writeClients = async () => {
    await write(files.claude, CLAUDE);
    await write(files.cursor, CURSOR);
    await write(files.vscodeMcp, VSCODE_MCP);
    await write(files.vscodeSettings, VSCODE_SETTINGS);
  };
  return { root, home, env, files, configFile, write, run, writeClients };
}

const lineFor = (stdout: string, status: string, name: string) => stdout.split('\n').find((l) => l.startsWith(`${status} ${name} `));

test('the known locations are each client\'s documented defaults, per platform', () => {
  const home = path.join(path.sep, 'h');
  const files = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}) => knownClientConfigs(platform, env, home).map((l) => `${l.client} ${l.file}`);
  assert.deepEqual(files('darwin'), [
    `claude-desktop ${path.join(home, 'Library/Application Support/Claude/claude_desktop_config.json')}`,
    `cursor ${path.join(home, '.cursor/mcp.json')}`,
    `vscode ${path.join(home, 'Library/Application Support/Code/User/mcp.json')}`,
    `vscode ${path.join(home, 'Library/Application Support/Code/User/settings.json')}`,
  ]);
  const roaming = path.join(path.sep, 'Users', 'ana', 'AppData', 'Roaming');
  assert.deepEqual(files('win32', { APPDATA: roaming }), [
    `claude-desktop ${path.join(roaming, 'Claude', 'claude_desktop_config.json')}`,
    `cursor ${path.join(home, '.cursor', 'mcp.json')}`,
    `vscode ${path.join(roaming, 'Code', 'User', 'mcp.json')}`,
    `vscode ${path.join(roaming, 'Code', 'User', 'settings.json')}`,
  ]);
  assert.equal(files('win32')[0], `claude-desktop ${path.join(home, 'AppData', 'Roaming', 'Claude', 'claude_desktop_config.json')}`);
  assert.equal(files('linux')[0], `claude-desktop ${path.join(home, '.config/Claude/claude_desktop_config.json')}`);
  assert.equal(files('linux', { XDG_CONFIG_HOME: '/xdg' })[2], `vscode ${path.join('/xdg', 'Code', 'User', 'mcp.json')}`);
});

for (const platform of ['linux', 'darwin', 'win32'] as const) {
  test(`on ${platform}, a user imports every client config found in the usual places and keeps her own servers`, async (t) => {
    const w = await world(t, platform);
    await w.writeClients();
    await w.write(w.configFile, EXISTING);
    const { code, stdout, stderr } = await w.run([]);
    assert.equal(stderr, '');
    assert.equal(code, 0);

    // One line per server, with the file it came from and, when not added, why.
    assert.match(lineFor(stdout, 'added', 'github')!, new RegExp(`from ${w.files.claude.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`));
    assert.match(lineFor(stdout, 'skipped', 'filesystem')!, /: already configured$/);
    assert.match(lineFor(stdout, 'skipped', 'github')!, /same as "github" from .*claude_desktop_config\.json/);
    assert.match(lineFor(stdout, 'skipped', 'memory')!, /: already configured \(with different settings/);
    assert.match(lineFor(stdout, 'invalid', 'docs')!, /mcpServers\.docs: a server needs either "command"/);
    assert.match(lineFor(stdout, 'invalid', 'sqlite')!, /mcpServers\.sqlite\.args\[2\]: expected string/);
    assert.match(lineFor(stdout, 'invalid', 'internal')!, /servers\.internal\.headers\.Authorization: uses \$\{input:api-token\}/);
    assert.match(lineFor(stdout, 'invalid', 'events')!, /servers\.events\.type: the legacy SSE transport is not supported/);
    for (const name of ['notes', 'perplexity', 'fetch', 'time']) assert.ok(lineFor(stdout, 'added', name), `${name} added:\n${stdout}`);
    assert.match(stdout, /env GITHUB_PERSONAL_ACCESS_TOKEN looks like a secret: consider moving it to userEnv/);
    assert.match(stdout, /skipped "envFile": MCP Publish has no such setting/);
    assert.doesNotMatch(stdout, /ghp_doNotPrintThisValue/);
    assert.match(stdout, /added 5 servers to/);

    // The saved config: her servers untouched, the new ones as written, other settings kept.
    const saved = JSON.parse(await fs.readFile(w.configFile, 'utf8'));
    const before = JSON.parse(EXISTING);
    for (const name of ['filesystem', 'memory', 'mine']) assert.deepEqual(saved.mcpServers[name], before.mcpServers[name]);
    assert.deepEqual(Object.keys(saved.mcpServers), ['filesystem', 'memory', 'mine', 'github', 'notes', 'perplexity', 'fetch', 'time']);
    assert.deepEqual(saved.access, before.access);
    assert.deepEqual(saved.gateway, before.gateway);
    assert.deepEqual(saved.mcpServers.perplexity, {
      command: 'npx', args: ['-y', 'server-perplexity-ask'], env: {},
      userEnv: [{ name: 'PERPLEXITY_API_KEY', label: 'Perplexity API Key', secret: true }],
    });
    assert.deepEqual(saved.mcpServers.time, { command: 'uvx', args: ['mcp-server-time', '--local-timezone=Europe/Lisbon'] });
    assert.deepEqual(saved.mcpServers.notes, { url: 'http://127.0.0.1:8080/mcp' });
    // The previous version is kept byte for byte.
    assert.equal(await fs.readFile(`${w.configFile}.bak`, 'utf8'), EXISTING);

    // Importing again adds nothing and writes nothing.
    await fs.rm(`${w.configFile}.bak`);
    const again = await w.run([]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to add; config unchanged/);
    assert.doesNotMatch(again.stdout, /^added /m);
    await assert.rejects(fs.access(`${w.configFile}.bak`));
  });
}

test('a broken config is refused and left byte-identical', async (t) => {
  const w = await world(t);
  await w.writeClients();
  const broken = {
    json: '{\n  "mcpServers": {\n    "mine": { "command": "node" },\n  }\n}\n', // our file is strict JSON
    schema: '{ "mcpServers": { "mine": { "command": "" } } }\n',
  };
  for (const [kind, text] of Object.entries(broken)) {
    await w.write(w.configFile, text);
    const { code, stdout, stderr } = await w.run([]);
    assert.equal(code, 1, kind);
    assert.equal(stdout, '', kind);
    assert.ok(stderr.startsWith(`${w.configFile}: `), stderr);
    assert.match(stderr, kind === 'json' ? /not valid JSON \(line 4/ : /mcpServers\.mine\.command: /);
    assert.equal(await fs.readFile(w.configFile, 'utf8'), text);
    assert.deepEqual(await fs.readdir(path.dirname(w.configFile)), ['config.json']);
  }
});

test('--dry-run prints what would happen and writes nothing', async (t) => {
  const w = await world(t, 'darwin');
  await w.writeClients();
  const none = await w.run(['--dry-run']);
  assert.equal(none.code, 0);
  assert.match(none.stdout, /^added github /m);
  assert.match(none.stdout, /dry run: would add 7 servers/);
  await assert.rejects(fs.access(path.dirname(w.configFile)));

  await w.write(w.configFile, EXISTING);
  const some = await w.run(['--dry-run']);
  assert.match(some.stdout, /dry run: would add 5 servers/);
  assert.equal(await fs.readFile(w.configFile, 'utf8'), EXISTING);
  assert.deepEqual(await fs.readdir(path.dirname(w.configFile)), ['config.json']);
});

test('a first import creates the config; --rename keeps both of two different servers with one name', async (t) => {
  const w = await world(t);
  await w.write(w.files.vscodeSettings, VSCODE_SETTINGS);
  const first = await w.run([]);
  assert.equal(first.code, 0);
  assert.deepEqual(Object.keys(JSON.parse(await fs.readFile(w.configFile, 'utf8')).mcpServers), ['memory', 'time']);
  await assert.rejects(fs.access(`${w.configFile}.bak`));

  await w.write(w.configFile, EXISTING);
  const renamed = await w.run(['--rename']);
  assert.equal(renamed.code, 0);
  assert.match(renamed.stdout, /^added memory-2 \(from .*settings\.json\)\n {2}- renamed from "memory": that name is taken$/m);
  const saved = JSON.parse(await fs.readFile(w.configFile, 'utf8'));
  assert.deepEqual(saved.mcpServers.memory, JSON.parse(EXISTING).mcpServers.memory);
  assert.deepEqual(saved.mcpServers['memory-2'], { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] });
});

test('named files are read instead of the usual places; a missing one is an error', async (t) => {
  const w = await world(t);
  await w.writeClients();
  const elsewhere = path.join(w.root, 'shared', 'team-mcp.json');
  await w.write(elsewhere, JSON.stringify({ mcpServers: { team: { command: 'team-mcp' } } }));
  const { code, stdout, stderr } = await w.run([elsewhere, path.join(w.root, 'nope.json')]);
  assert.equal(code, 1);
  assert.match(stderr, /nope\.json: no such file/);
  assert.match(stdout, /^added team \(from .*team-mcp\.json\)$/m);
  assert.deepEqual(Object.keys(JSON.parse(await fs.readFile(w.configFile, 'utf8')).mcpServers), ['team']);

  const usage = await w.run(['--force']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown option --force\nusage: mcp-publish import/);
});

test('with no client config anywhere, it says where it looked and changes nothing', async (t) => {
  const w = await world(t, 'win32');
  const { code, stdout } = await w.run([]);
  assert.equal(code, 0);
  assert.match(stdout, /found no Claude Desktop, Cursor or VS Code config/);
  await assert.rejects(fs.access(w.configFile));
});

test('readClientConfig maps VS Code inputs to userEnv and reads the flat "mcp.servers" settings key', async (t) => {
  const w = await world(t);
  const settings = path.join(w.root, 'settings.json');
  await w.write(settings, `{
    "mcp.inputs": [{ "type": "promptString", "id": "db", "description": "Database URL" }],
    "mcp.servers": { "db": { "command": "db-mcp", "env": { "DATABASE_URL": "\${input:db}", "POOL": 4, "OLD": null }, "args": ["\${userHome}/db"] } },
  }`);
  const [db, ...rest] = await readClientConfig(settings);
  assert.equal(rest.length, 0);
  assert.deepEqual(db!.at, ['mcp.servers', 'db']);
  assert.deepEqual(db!.server, {
    command: 'db-mcp', args: ['${userHome}/db'], env: { POOL: '4' },
    userEnv: [{ name: 'DATABASE_URL', label: 'Database URL', secret: false }],
  });
  assert.deepEqual(db!.notes, [
    'env DATABASE_URL came from VS Code input "db": each user is asked for it (userEnv)',
    'env OLD is null (VS Code unsets it): dropped',
    'args[0] uses ${userHome}, which MCP Publish passes as written',
  ]);

  const { config, report } = importServers({ mcpServers: {} }, [db!, { ...db!, source: path.join(w.root, 'other.json') }]);
  assert.deepEqual(report.map((r) => [r.name, r.status]), [['db', 'added'], ['db', 'skipped']]);
  assert.equal(report[1]!.reason, `same as "db" from ${settings}`);
  assert.deepEqual(Object.keys((config as { mcpServers: object }).mcpServers), ['db']);

  const bad = importServers({}, [{ ...db!, name: 'bad name', at: ['mcp.servers', 'bad name'] }]).report[0]!;
  assert.equal(bad.status, 'invalid');
  assert.match(bad.reason!, /^\["mcp\.servers"\]\["bad name"\]: server names use letters/);

  await w.write(settings, '{\n  "mcp.servers": {\n    "x": { "command": "x" }\n    "y": {}\n  }\n}');
  await assert.rejects(readClientConfig(settings), (e) => e instanceof ConfigError && e.code === 'invalid_json' && /not valid JSON \(line 4/.test(e.message));
});

test('stripJsonc drops comments and trailing commas but never touches strings', () => {
  const text = '{ "url": "http://a//b", "q": "say \\"/* hi */\\"", // note\n "list": [1, 2, /* c */ ], }';
  const plain = stripJsonc(text);
  assert.equal(plain.length, text.length);
  assert.deepEqual(JSON.parse(plain), { url: 'http://a//b', q: 'say "/* hi */"', list: [1, 2] });
});
