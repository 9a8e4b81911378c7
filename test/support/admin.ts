// The owner's side of the admin API in tests: an AdminServer on loopback for a signed-in gateway,
// as `mcp-publish serve` builds it, and a small client of it, as the settings window would be.
import assert from 'node:assert/strict';
import { AdminServer } from '../../src/admin/admin-server.ts';
import type { SignedInGateway } from './signed-in.ts';
import { rememberSecret } from './log-audit.ts';

/** A client of one admin API. */
export class Admin {
  constructor(readonly url: string, readonly token: string) {}

  async call<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; json: T; text: string; type: string }> {
    const res = await fetch(this.url + route, {
      method, headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const t = await res.text();
    let json: any;
    try { json = JSON.parse(t); } catch { json = undefined; }
    return { status: res.status, json, text: t, type: res.headers.get('content-type') ?? '' };
  }

  /** The answer of a call that must succeed (200). */
  async ok<T = any>(method: string, route: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, route, body);
    assert.equal(r.status, 200, `${method} ${route}: ${r.text}`);
    return r.json;
  }
}

/** Starts the admin API of `gw`; stop it with `server.stop()`. */
export async function startAdmin(gw: SignedInGateway, o: { configFile?: string; keepAliveMs?: number; dataDir?: string } = {}): Promise<{ server: AdminServer; admin: Admin }> {
  const server = new AdminServer({
    publisher: gw.publisher, configFile: o.configFile, secrets: gw.secrets, state: gw.state,
    logger: gw.publisher.logger.child({ component: 'admin' }), keepAliveMs: o.keepAliveMs, dataDir: o.dataDir,
  });
  const endpoint = await server.start();
  rememberSecret(endpoint.token);
  return { server, admin: new Admin(endpoint.url, endpoint.token) };
}
