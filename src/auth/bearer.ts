// Bearer verification for every MCP request (DESIGN §4 step 6): our ES256 JWT, issued by us, for
// this one server (RFC 8707 audience), still backed by a live grant, of a user still allowed.
// Failures get 401 with WWW-Authenticate pointing at the protected-resource metadata (RFC 9728).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import type { Identify, Identity } from '../gateway/mcp-endpoint.ts';
import { resourceMetadataUrl, resourceUrl } from './resources.ts';
import { RESOURCE_SCOPE } from './client-metadata.ts';

export interface BearerOptions {
  issuer: string;
  jwks: jose.JSONWebKeySet;
  /** False once the grant behind a token is revoked (refresh reuse, revocation, user removed). */
  grantAlive: (grantId: string) => Promise<boolean>;
  /** Fast, synchronous: the user may still come in. */
  userActive: (userId: string) => boolean;
}

interface Verified { sub: string; grantId: string; exp: number; aud: string }

/** Verified tokens are remembered (by hash) until they expire, so each is verified once. */
const CACHE_LIMIT = 2000;

export function bearerIdentify(o: BearerOptions): Identify {
  const keys = jose.createLocalJWKSet(o.jwks);
  const cache = new Map<string, Verified>();

  const challenge = (res: ServerResponse, server: string, status: number, error?: string, description?: string) => {
    let header = `Bearer resource_metadata="${resourceMetadataUrl(o.issuer, server)}", scope="${RESOURCE_SCOPE}"`;
    if (error) header += `, error="${error}"`;
    if (description) header += `, error_description="${description.replace(/["\\]/g, "'")}"`;
    const body = JSON.stringify(error ? { error, error_description: description } : { error: 'unauthorized', error_description: 'sign-in required' });
    res.writeHead(status, { 'www-authenticate': header, 'content-type': 'application/json', 'access-control-expose-headers': 'WWW-Authenticate' });
    res.end(body);
  };

  return async (req: IncomingMessage, res: ServerResponse, server: string): Promise<Identity | undefined> => {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S/i.test(auth)) {
      challenge(res, server, 401);
      return undefined;
    }
    const token = auth.replace(/^Bearer\s+/i, '').trim();
    const audience = resourceUrl(o.issuer, server);
    const key = createHash('sha256').update(token).digest('base64url');
    let v = cache.get(key);
    const now = Math.floor(Date.now() / 1000);
    if (!v || v.exp <= now) {
      try {
        const { payload } = await jose.jwtVerify(token, keys, { issuer: o.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
        v = { sub: String(payload.sub), grantId: String(payload.grant_id ?? ''), exp: payload.exp ?? now, aud: [payload.aud].flat().join(' ') };
      } catch (e) {
        challenge(res, server, 401, 'invalid_token', (e as Error).message);
        return undefined;
      }
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(key, v);
    }
    // RFC 8707: a token for server A is refused by server B.
    if (!v.aud.split(' ').includes(audience)) {
      challenge(res, server, 401, 'invalid_token', 'the token was issued for another resource');
      return undefined;
    }
    if (!o.userActive(v.sub)) {
      cache.delete(key);
      challenge(res, server, 401, 'invalid_token', 'this user is no longer allowed');
      return undefined;
    }
    if (!(await o.grantAlive(v.grantId))) {
      cache.delete(key);
      challenge(res, server, 401, 'invalid_token', 'the grant behind this token was revoked');
      return undefined;
    }
    return { user: v.sub };
  };
}
