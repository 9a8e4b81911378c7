// A client in a process of its own that floods one session with large requests, so a test can
// measure what the gateway (in the test's process) holds without counting the client's buffers.
// argv: <mcp url> <session id> <user> <count> <kilobytes each> <spacing ms>
// Prints "sent" once every request is on its way, "answered N" as answers come, then one JSON
// line: { answers: [...] }.
const [url, session, user, count, kb, spacing] = process.argv.slice(2);
const headers = {
  'content-type': 'application/json', accept: 'application/json, text/event-stream',
  'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', 'x-test-user': user,
};
const pending = [];
let answered = 0;
for (let i = 0; i < Number(count); i++) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1000 + i, method: 'tools/call', params: { name: 'pid', arguments: { padding: 'b'.repeat(Number(kb) * 1024) } } });
  pending.push(fetch(url, { method: 'POST', headers, body }).then(async (res) => {
    const text = await res.text();
    const data = res.headers.get('content-type')?.startsWith('text/event-stream') ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).pop() : text;
    process.stdout.write(`answered ${++answered}\n`);
    return JSON.parse(data ?? '{}');
  }).catch((e) => ({ failed: String(e) })));
  await new Promise((r) => setTimeout(r, Number(spacing)));
}
process.stdout.write('sent\n');
const answers = await Promise.all(pending);
process.stdout.write(`${JSON.stringify({ answers })}\n`);
