// Bearer verification for every MCP request (DESIGN §4 step 6): our ES256 JWT, issued by us, for
// this one server (RFC 8707 audience), still backed by a live grant, of a user still allowed.
// Failures get 401 with WWW-Authenticate pointing at the protected-resource metadata (RFC 9728).
// A verified token is remembered with its grant until it expires or the grant, its
// person or its client is revoked, so each token's signature is checked once; revocation drops it
// at once (forgetGrant, forgetUser). Needs only the public keys and the state store, not the
// authorization server, so it is ready as soon as the gateway listens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import type { Identify, Identity } from '../gateway/mcp-endpoint.ts';
import { resourceMetadataUrl, resourceUrl } from './resources.ts';
import { RESOURCE_SCOPE } from './client-metadata.ts';

export interface BearerOptions {
  issuer: string;
  /** The public signing keys (the newest signs, the previous one still verifies). */
  jwks: jose.JSONWebKeySet;
  /** Whether the grant behind a token still exists; asked once per token, then kept until forgetGrant. */
  grantAlive: (grantId: string) => Promise<boolean>;
  /** Fast, synchronous, asked on every request: the user may still come in. */
  userActive: (userId: string) => boolean;
}

interface Verified { sub: string; grantId: string; exp: number; aud: string[] }

/** The largest number of verified tokens remembered; the oldest goes first. */
const CACHE_LIMIT = 10_000;

/** The SHA-256 of a grant id, as our state store keys grants (src/auth/oidc-adapter.ts). */
export const grantKey = (grantId: string) => createHash('sha256').update(grantId).digest('base64url');

export class BearerCheck {
  private keys: ReturnType<typeof jose.createLocalJWKSet>;
  /** Verified tokens, by the token itself (a Map hashes strings natively; the token is in memory anyway). */
  private readonly cache = new Map<string, Verified>();
  /** Token hashes by the key of their grant, to forget them when it is revoked. */
  private readonly byGrant = new Map<string, Set<string>>();
  /** Grants forgotten while their lookup was under way: a token must not be remembered as alive then. */
  private generation = 0;
  readonly identify: Identify;

  constructor(private readonly o: BearerOptions) {
    this.issuerNow = o.issuer;
    this.keys = jose.createLocalJWKSet(o.jwks);
    this.identify = (req, res, server) => this.check(req, res, server);
  }

  private issuerNow: string;

  get issuer(): string { return this.issuerNow; }

  /** The public origin moved: tokens of the old issuer are refused from now on. */
  setIssuer(issuer: string): void {
    this.issuerNow = issuer;
    this.forgetUser();
  }

  /** New public keys (a key was rotated). Tokens already verified stay verified. */
  setKeys(jwks: jose.JSONWebKeySet): void { this.keys = jose.createLocalJWKSet(jwks); }

  /** The grant with this state-store key was revoked: its tokens are refused from now on. */
  forgetGrant(key: string): void {
    this.generation++;
    for (const hash of this.byGrant.get(key) ?? []) this.cache.delete(hash);
    this.byGrant.delete(key);
  }

  /** Everything remembered of a person (removed, denied) or of everyone (issuer moved). */
  forgetUser(userId?: string): void {
    this.generation++;
    for (const [hash, v] of this.cache) if (userId === undefined || v.sub === userId) this.drop(hash, v);
  }

  get size(): number { return this.cache.size; }

  private drop(hash: string, v: Verified): void {
    this.cache.delete(hash);
    const key = grantKey(v.grantId);
    const set = this.byGrant.get(key);
    set?.delete(hash);
    if (set && set.size === 0) this.byGrant.delete(key);
  }

  private challenge(res: ServerResponse, server: string, status: number, error?: string, description?: string): undefined {
    let header = `Bearer resource_metadata="${resourceMetadataUrl(this.issuerNow, server)}", scope="${RESOURCE_SCOPE}"`;
    if (error) header += `, error="${error}"`;
    if (description) header += `, error_description="${description.replace(/["\\]/g, "'")}"`;
    const body = JSON.stringify(error ? { error, error_description: description } : { error: 'unauthorized', error_description: 'sign-in required' });
    res.writeHead(status, { 'www-authenticate': header, 'content-type': 'application/json', 'access-control-expose-headers': 'WWW-Authenticate' });
    res.end(body);
    return undefined;
  }

  private async check(req: IncomingMessage, res: ServerResponse, server: string): Promise<Identity | undefined> {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S/i.test(auth)) return this.challenge(res, server, 401);
    const hash = auth.slice(7).trim(); // the token itself (the cache's key); `Bearer ` checked above
    const now = Math.floor(Date.now() / 1000);
    let v = this.cache.get(hash);
    if (v && v.exp <= now) {
      this.drop(hash, v);
      v = undefined;
    }
    if (!v) {
      const generation = this.generation;
      try {
        const { payload } = await jose.jwtVerify(hash, this.keys, { issuer: this.issuerNow, typ: 'at+jwt', algorithms: ['ES256'] });
        v = { sub: String(payload.sub), grantId: String(payload.grant_id ?? ''), exp: payload.exp ?? now, aud: [payload.aud ?? []].flat().map(String) };
      } catch (e) {
        return this.challenge(res, server, 401, 'invalid_token', (e as Error).message);
      }
      if (!v.grantId || !(await this.o.grantAlive(v.grantId))) return this.challenge(res, server, 401, 'invalid_token', 'the grant behind this token was revoked');
      // A revocation during the lookup may have come after it looked: ask again next time.
      if (generation === this.generation) this.remember(hash, v);
    }
    // RFC 8707: a token for server A is refused by server B.
    if (!v.aud.includes(resourceUrl(this.issuerNow, server))) return this.challenge(res, server, 401, 'invalid_token', 'the token was issued for another resource');
    if (!this.o.userActive(v.sub)) {
      this.drop(hash, v);
      return this.challenge(res, server, 401, 'invalid_token', 'this user is no longer allowed');
    }
    return { user: v.sub };
  }

  private remember(hash: string, v: Verified): void {
    if (this.cache.size >= CACHE_LIMIT) {
      const [oldest, ov] = this.cache.entries().next().value!;
      this.drop(oldest, ov);
    }
    this.cache.set(hash, v);
    const key = grantKey(v.grantId);
    let set = this.byGrant.get(key);
    if (!set) this.byGrant.set(key, set = new Set());
    set.add(hash);
  }
}
