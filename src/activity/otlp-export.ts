// Optional export of the calls to a team's OpenTelemetry collector (`activity.otlpEndpoint`):
// each finished call becomes a span, sent as OTLP/HTTP JSON to <endpoint>/v1/traces in batches
// (every second, or at 100 spans). The queue is bounded: a collector that is away costs dropped
// spans and one warning, never memory. Only what the log keeps is sent; never arguments.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import type { ActivityView } from '../admin/api.ts';

const BATCH = 100;
const MAX_QUEUED = 2000;
const EVERY_MS = 1000;

type Attribute = { key: string; value: { stringValue: string } | { doubleValue: number } };
const str = (key: string, v: string): Attribute => ({ key, value: { stringValue: v } });

/** A finished call as an OTLP span (MCP semantic conventions: `mcp.method.name`, `gen_ai.tool.name`). */
export function spanOf(call: ActivityView): Record<string, unknown> {
  const end = BigInt(Math.round(call.at)) * 1_000_000n;
  const start = end - BigInt(Math.round(call.ms * 1e6));
  return {
    traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'),
    name: call.name ? `${call.method} ${call.name}` : call.method,
    kind: 2, // SPAN_KIND_SERVER
    startTimeUnixNano: String(start), endTimeUnixNano: String(end),
    attributes: [
      str('mcp.method.name', call.method), str('mcp.session.id', call.session), str('mcp_publish.server', call.server), str('enduser.id', call.user),
      ...(call.name ? [str(call.method === 'tools/call' ? 'gen_ai.tool.name' : 'mcp_publish.target', call.name)] : []),
    ],
    status: call.ok ? { code: 1 } : { code: 2, message: call.error ?? 'error' },
  };
}

export class OtlpExporter {
  private queue: Record<string, unknown>[] = [];
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private failing = false;

  /** `endpoint` is read at each call, so a settings change applies at once; undefined: off. */
  constructor(private readonly endpoint: () => string | undefined, private readonly logger: Logger) {}

  record(call: ActivityView): void {
    if (!this.endpoint()) return;
    this.queue.push(spanOf(call));
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
    if (this.queue.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, EVERY_MS).unref();
  }

  /** Sends what is queued; resolves when sent or given up (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.queue.splice(0);
    const endpoint = this.endpoint();
    if (!spans.length || !endpoint) return this.sending;
    this.sending = this.sending.then(() => this.send(`${endpoint.replace(/\/+$/, '')}/v1/traces`, spans));
    return this.sending;
  }

  private async send(url: string, spans: Record<string, unknown>[]): Promise<void> {
    const body = { resourceSpans: [{ resource: { attributes: [str('service.name', 'mcp-publish')] }, scopeSpans: [{ scope: { name: 'mcp-publish.activity' }, spans }] }] };
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (this.failing) this.logger.info('the OTLP collector takes spans again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.logger.warn({ err: (e as Error).message, dropped: spans.length }, 'the OTLP collector did not take the spans; they are dropped');
      this.failing = true;
    }
  }

  /** Sends what is left and stops the timer. */
  close(): Promise<void> {
    return this.flush();
  }
}
