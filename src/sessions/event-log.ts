// Resumable SSE streams (Streamable HTTP "Resumability and Redelivery"): every event a session
// sends on a stream gets an id `<stream>.<seq>`, unique in the session, and is kept for a while so
// a client whose connection dropped (a tunnel cut a long call) can GET the stream again with
// Last-Event-ID and get what it missed. A stream's events are replayed only on that stream.
import type { JsonRpcId } from '../jsonrpc/messages.ts';
import type { ResponseSink } from './response-sink.ts';

/** One logical stream of a session: the answer stream of one POST, or the GET stream. */
export class Stream {
  /** Events sent so far; the next one gets seq + 1. */
  seq = 0;
  /** The connection carrying it now; absent while the client is away. */
  sink?: ResponseSink;
  /** Its last message (a POST's answer) has been sent. */
  finished = false;
  /** When it finished, or lost its connection: it is forgotten a while later. */
  since = Date.now();

  constructor(
    readonly no: number,
    readonly kind: 'post' | 'get',
    /** The client's request it answers (POST streams). */
    readonly requestId?: JsonRpcId,
  ) {}

  /** The id of its next event. */
  nextId(): string { return `${this.no}.${++this.seq}`; }
}

/** Reads `<stream>.<seq>` back; undefined for ids that are not ours. */
export function parseEventId(id: string | undefined): { stream: number; seq: number } | undefined {
  const m = id === undefined ? null : /^(\d{1,12})\.(\d{1,15})$/.exec(id.trim());
  return m ? { stream: Number(m[1]), seq: Number(m[2]) } : undefined;
}

interface Logged { stream: number; seq: number; text: string; at: number }

/**
 * The recent events of one session, oldest first, bounded in bytes and in age. An event larger
 * than the whole bound is sent but not kept. Memory: at most `maxBytes` per session.
 */
export class EventLog {
  private events: Logged[] = [];
  private first = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number, private readonly maxAgeMs: number) {}

  add(stream: number, seq: number, text: string): void {
    if (text.length > this.maxBytes) return;
    this.events.push({ stream, seq, text, at: Date.now() });
    this.bytes += text.length;
    this.trim();
  }

  /** The kept events of `stream` after `seq`, oldest first. */
  after(stream: number, seq: number): string[] {
    const out: string[] = [];
    for (let i = this.first; i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.stream === stream && e.seq > seq) out.push(e.text);
    }
    return out;
  }

  /** Drops events over the byte bound or older than the age bound. */
  trim(now = Date.now()): void {
    while (this.first < this.events.length) {
      const e = this.events[this.first]!;
      if (this.bytes <= this.maxBytes && now - e.at < this.maxAgeMs) break;
      this.bytes -= e.text.length;
      this.first++;
    }
    // Compact now and then instead of shifting on every drop.
    if (this.first > 256 && this.first * 2 > this.events.length) {
      this.events = this.events.slice(this.first);
      this.first = 0;
    }
  }

  get size(): number { return this.bytes; }
}
