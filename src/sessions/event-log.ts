// The recent SSE events of one session, kept so a client whose stream dropped can be sent what it
// missed (Streamable HTTP "Resumability and Redelivery"); bounded in bytes and in age.

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
