// The settings UI's static files (renderer/dist, built by `npm run build:ui`) as the admin API
// serves them: no token (they hold no data), never a file outside that folder, the right content
// type, index.html revalidated on every load. Without a build, `/` says how to make one.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** renderer/dist next to the sources (in a checkout and inside the packaged app alike). */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may talk to its own origin only (the admin API and its event stream); no inline
 * script, no frames, no forms posted anywhere, nothing from other sites.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MCP Publish</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:38rem;margin:4rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:.1rem .35rem;border-radius:4px}</style></head>
<body><h1>MCP Publish</h1>
<p>MCP Publish is running, but its settings window has not been built on this computer.</p>
<p>Run <code>npm run build:ui</code> in the MCP Publish folder, then reload this page.</p>
<p>Meanwhile the command line works: <code>mcp-publish users</code>, <code>mcp-publish import</code>, <code>mcp-publish doctor</code>.</p>
</body></html>
`;

/**
 * Answers a GET or HEAD for `pathname` from `dir`: `/` is index.html; hashed files under
 * `assets/` may be cached for good, everything else is revalidated. Resolves false when there is
 * no such file (the caller answers 404).
 */
export async function serveUiFile(req: IncomingMessage, res: ServerResponse, pathname: string, dir: string): Promise<boolean> {
  const root = path.resolve(dir);
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  if (relative.includes('\0') || relative.includes('\\')) return false;
  if (relative === '/' || relative === '/index.html') relative = '/index.html';
  const file = path.resolve(root, '.' + path.posix.normalize(relative));
  // Never outside the folder: `..`, encoded or not, resolves above it and is refused here.
  if (!file.startsWith(root + path.sep)) return false;
  // Dot files (a stray .DS_Store, an editor's swap file) are not part of the build.
  if (path.relative(root, file).split(path.sep).some((part) => part.startsWith('.'))) return false;

  let body: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    body = await fs.readFile(file);
  } catch {
    if (relative !== '/index.html') return false;
    // No build: say how to make one (and look again on the next load).
    res.writeHead(200, { ...COMMON, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
    return true;
  }
  const ext = path.extname(file).toLowerCase();
  const isIndex = file === path.join(root, 'index.html');
  const hashed = path.relative(root, file).startsWith('assets' + path.sep);
  res.writeHead(200, {
    ...COMMON,
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(isIndex ? { 'content-security-policy': CSP } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
