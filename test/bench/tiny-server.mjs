// A tiny plain-JS stdio MCP server with one `echo` tool, for the session-memory test: 100 of
// server-everything would cost gigabytes, and what is measured there is the gateway, not the child.
// Newline-delimited JSON-RPC on stdin/stdout; no dependencies, so it starts fast and stays small.
import { createInterface } from 'node:readline';

const VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const ECHO = {
  name: 'echo',
  description: 'Echoes back the input string',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
};

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function answer(msg) {
  const params = msg.params ?? {};
  switch (msg.method) {
    case 'initialize': {
      const v = VERSIONS.includes(params.protocolVersion) ? params.protocolVersion : VERSIONS[VERSIONS.length - 1];
      return { protocolVersion: v, capabilities: { tools: {} }, serverInfo: { name: 'bench-tiny', version: '1.0.0' } };
    }
    case 'ping': return {};
    case 'tools/list': return { tools: [ECHO] };
    case 'tools/call':
      if (params.name !== 'echo') return { content: [{ type: 'text', text: `unknown tool ${params.name}` }], isError: true };
      return { content: [{ type: 'text', text: `Echo: ${params.arguments?.message ?? ''}` }] };
    default: return undefined;
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (msg.id === undefined || msg.method === undefined) return; // notifications and responses
  const result = answer(msg);
  if (result === undefined) send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
  else send({ jsonrpc: '2.0', id: msg.id, result });
});
rl.on('close', () => process.exit(0));
