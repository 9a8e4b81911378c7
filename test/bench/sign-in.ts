// Simulated people signing in through the gateway's own authorization server before any timing:
// the MCP SDK's own OAuth client (`auth()`: protected-resource metadata, registration, PKCE S256,
// resource indicator, code exchange) with test/support/browser.ts at the sign-in pages. Each
// person comes from their own loopback address (127.1.x.y), as people behind a tunnel come from
// their own: the sign-in endpoints' per-address limits (20 logins a minute) hold per person.
import net from 'node:net';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Agent } from 'undici';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { pooled } from './measure.ts';

/** A local account the benchmark made in the gateway (test/bench/gateway-process.ts). */
export interface BenchPerson { email: string; password: string }

/** The loopback address person `i` comes from: 127.1.0.1, 127.1.0.2 … (Linux routes all of 127/8 to lo). */
export function personAddress(i: number): string {
  const n = i + 1;
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

/** An undici dispatcher whose connections leave from `address`. */
function dispatcherFrom(address: string): Agent {
  return new Agent({
    connect: (opts, cb) => {
      const socket = net.connect({ host: opts.hostname, port: Number(opts.port), localAddress: address });
      socket.once('connect', () => cb(null, socket));
      socket.once('error', (e) => cb(e, null));
      return socket;
    },
  });
}

/** Node's fetch takes undici's `dispatcher` (not in the DOM's RequestInit; the npm undici's types differ from Node's copy). */
function via(dispatcher: Agent, init: RequestInit = {}): RequestInit {
  return { ...init, dispatcher } as unknown as RequestInit;
}

/** A browser whose every request leaves from one address. */
class BrowserAt extends Browser {
  constructor(private readonly dispatcher: Agent) { super(); }
  override fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    return super.fetch(url, via(this.dispatcher, init));
  }
}

/**
 * Signs `person` in for the MCP endpoint `mcpUrl` the way an MCP client does (authorization code
 * + PKCE, consent allowed), from `address`. Resolves with the access token.
 */
export async function signIn(mcpUrl: string, person: BenchPerson, address: string): Promise<string> {
  const dispatcher = dispatcherFrom(address);
  try {
    const fetchFn = ((url: string | URL, init?: RequestInit) => fetch(url, via(dispatcher, init))) as typeof fetch;
    const provider = new TestOAuthProvider(new BrowserAt(dispatcher), { login: person });
    const first = await auth(provider, { serverUrl: mcpUrl, fetchFn });
    if (first !== 'REDIRECT') throw new Error(`expected a redirect to sign in, got ${first}`);
    const second = await auth(provider, { serverUrl: mcpUrl, authorizationCode: provider.code, fetchFn });
    const token = provider.tokens()?.access_token;
    if (second !== 'AUTHORIZED' || !token) throw new Error(`${person.email}: no access token (${second})`);
    return token;
  } finally {
    await dispatcher.close();
  }
}

/** Signs every person in (a few at a time); resolves with each email's access token. */
export async function signInAll(mcpUrl: string, people: BenchPerson[], parallel = 4, maxMs = 120_000): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const done = await pooled(people.length, parallel, maxMs, async (i) => {
    tokens.set(people[i]!.email, await signIn(mcpUrl, people[i]!, personAddress(i)));
  });
  if (done < people.length) throw new Error(`only ${done} of ${people.length} people signed in within ${maxMs} ms`);
  return tokens;
}
