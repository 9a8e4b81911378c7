// The benchmark's own arithmetic and parsing (test/bench): how the raw client reads an answer
// sent as JSON or as SSE, the percentiles it reports, and the loopback address each simulated
// person signs in from. The benchmark itself runs with `npm run bench`, never here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { messagesOf } from '../bench/raw-client.ts';
import { stats } from '../bench/measure.ts';
import { median } from '../bench/report.ts';
import { personAddress } from '../bench/sign-in.ts';

describe('the raw client reads answers', () => {
  it('a JSON body is one message', () => {
    assert.deepEqual(messagesOf('application/json; charset=utf-8', '{"jsonrpc":"2.0","id":2,"result":{}}'), [{ jsonrpc: '2.0', id: 2, result: {} }]);
  });
  it('an SSE body is one message per event, whatever the line endings; events without data are skipped', () => {
    const body = 'id: s.0\ndata: \n\nevent: message\nid: s.1\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\r\nid: s.2\r\ndata: {"jsonrpc":"2.0",\r\ndata: "id":3,"result":{}}\r\n\r\n';
    assert.deepEqual(messagesOf('text/event-stream', body), [
      { jsonrpc: '2.0', method: 'notifications/progress' },
      { jsonrpc: '2.0', id: 3, result: {} },
    ]);
  });
  it('anything else is an error, not a silent empty answer', () => {
    assert.throws(() => messagesOf('text/html', '<p>tunnel reminder</p>'), /unexpected content type text\/html/);
  });
});

describe('figures', () => {
  it('p99 of 100 values is the 99th; the median of an even list is the lower middle in stats, the mean of the two in median()', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(stats(xs).p99, 99);
    assert.equal(stats(xs).median, 50);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
  it('each simulated person has a loopback address of their own', () => {
    const addresses = Array.from({ length: 1000 }, (_, i) => personAddress(i));
    assert.equal(new Set(addresses).size, 1000);
    for (const a of addresses) assert.match(a, /^127\.1\.\d{1,3}\.\d{1,3}$/);
    assert.ok(addresses.every((a) => a.split('.').every((n) => Number(n) >= 0 && Number(n) <= 255) && !a.endsWith('.0') && !a.endsWith('.255')));
  });
});
