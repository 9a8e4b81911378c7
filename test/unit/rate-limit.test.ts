// Which address a sign-in request is counted under: the tunnel's X-Forwarded-For only for
// requests that reached us from loopback while published, and only its rightmost entry (the one
// the tunnel's edge added; what the client sent stands to its left).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { RateLimiter, clientAddress } from '../../src/auth/rate-limit.ts';

const req = (socket: string, xff?: string | string[]) => ({ socket: { remoteAddress: socket }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('through the tunnel (loopback while published): the rightmost forwarded entry', () => {
    assert.equal(clientAddress(req('127.0.0.1', '203.0.113.7'), true), 'fwd:203.0.113.7');
    assert.equal(clientAddress(req('::1', '1.2.3.4, 203.0.113.7'), true), 'fwd:203.0.113.7', 'a client-sent entry on the left is ignored');
    assert.equal(clientAddress(req('::ffff:127.0.0.1', ['10.0.0.1', '2001:DB8::1']), true), 'fwd:2001:db8::1');
  });
  it('anything else: the socket address, whatever the header says', () => {
    assert.equal(clientAddress(req('127.0.0.1', '203.0.113.7'), false), '127.0.0.1', 'not published: nobody forwards to us');
    assert.equal(clientAddress(req('192.168.1.20', '203.0.113.7'), true), '192.168.1.20', 'not from loopback: not the tunnel');
    assert.equal(clientAddress(req('127.0.0.1', 'not-an-address'), true), '127.0.0.1');
    assert.equal(clientAddress(req('127.0.0.1'), true), '127.0.0.1');
  });
});

describe('RateLimiter', () => {
  it('counts per key in fixed windows and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const rule = { bucket: 't', limit: 2, windowMs: 10_000 };
    try {
      assert.deepEqual([limiter.take(rule, 'a').ok, limiter.take(rule, 'a').ok, limiter.take(rule, 'a').ok], [true, true, false]);
      assert.equal(limiter.take(rule, 'b').ok, true, 'another key has its own count');
      now = 4_000;
      assert.equal(limiter.take(rule, 'a').retryAfterSeconds, 6);
      assert.equal(limiter.peek(rule, 'a'), 4);
      now = 10_000;
      assert.equal(limiter.take(rule, 'a').ok, true, 'a new window');
    } finally {
      limiter.close();
    }
  });
});
