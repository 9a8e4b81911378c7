// Reading a cookie of our own sign-in pages from a request (oidc-provider reads its own cookies;
// express has no cookie parser unless one is added, and we need only a value or two).
import type { IncomingMessage } from 'node:http';

/** The value of cookie `name`, or undefined. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
