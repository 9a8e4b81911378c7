// A local Streamable HTTP MCP server as an upstream, spoken to with the MCP SDK's client
// transport (one upstream session per gateway session). Client headers are never forwarded.
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../logging/logger.ts';
import type { JsonRpcMessage } from '../jsonrpc/messages.ts';
import type { Upstream, UpstreamExit } from './upstream.ts';

export interface HttpUpstreamOptions {
  url: string;
  headers: Record<string, string>;
  logger: Logger;
}

export class HttpUpstream implements Upstream {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: (exit: UpstreamExit) => void;
  onerror?: (error: Error) => void;
  private transport?: StreamableHTTPClientTransport;
  private closing = false;
  private closed = false;
  private initId?: string | number;

  constructor(private readonly options: HttpUpstreamOptions) {}

  async start(): Promise<void> {
    // Loaded on first use: the SDK's client takes a third of a second to load, and most configs have no HTTP upstream.
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    if (this.closing) throw new Error('stopped before it started');
    const transport = new StreamableHTTPClientTransport(new URL(this.options.url), {
      requestInit: { headers: this.options.headers },
    });
    this.transport = transport;
    transport.onmessage = (m) => {
      const message = m as unknown as JsonRpcMessage;
      // The SDK transport sends MCP-Protocol-Version once it knows it: from our initialize.
      if (this.initId !== undefined && 'id' in message && message.id === this.initId && 'result' in message) {
        const version = (message.result as { protocolVersion?: unknown })?.protocolVersion;
        if (typeof version === 'string') transport.setProtocolVersion(version);
        this.initId = undefined;
      }
      this.onmessage?.(message);
    };
    transport.onerror = (e) => this.onerror?.(e);
    transport.onclose = () => this.finish();
    await transport.start();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.({ reason: this.closing ? 'stopped' : `the HTTP server ${this.options.url} closed the connection`, expected: this.closing });
  }

  send(message: JsonRpcMessage): void {
    const transport = this.transport;
    if (!transport || this.closed) return;
    if ('method' in message && message.method === 'initialize' && 'id' in message) this.initId = message.id;
    transport.send(message as unknown as JSONRPCMessage).catch((e: Error) => {
      this.onerror?.(e);
      // A request that could not be sent would otherwise wait for its timeout: fail it now.
      if ('id' in message && 'method' in message && message.id !== undefined) {
        this.onmessage?.({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: `the HTTP server ${this.options.url} is unreachable: ${e.message}` } });
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    try {
      await this.transport?.terminateSession().catch(() => {});
      await this.transport?.close();
    } finally {
      this.finish();
    }
  }
}
