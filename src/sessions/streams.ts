// The SSE streams of one session (Streamable HTTP "Resumability and Redelivery"): one per POST
// that streams and the GET stream. Every event gets an id `<stream>.<seq>`, unique in the session,
// and is kept a while (event-log.ts), so a client whose connection dropped (a tunnel cut a long
// call) can GET the stream again with Last-Event-ID and get what it missed, on that stream only.
import type { JsonRpcId, JsonRpcMessage } from '../jsonrpc/messages.ts';
import { sseEvent, type ResponseSink } from './response-sink.ts';
import { EventLog } from './event-log.ts';

/** How long streams can be taken up again, and what that may cost. */
export interface ReplayOptions {
  /** Bytes of recent events kept per session; default 1 MiB. */
  bytes: number;
  /** How long an event, a finished stream or an abandoned GET stream is kept; default 60 s. */
  windowMs: number;
}

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

/** A stream quiet this long gets a keep-alive comment. */
export const KEEPALIVE_MS = 15_000;

/** The streams of one session. */
export class Streams {
  /** Streams that can still be taken up again, by number. */
  private streams = new Map<number, Stream>();
  private standalone?: Stream;
  private next = 1;
  private log?: EventLog;

  constructor(
    private readonly replay: ReplayOptions | undefined,
    /** The session's revision lets the first event be a priming one (an id, no data). */
    private readonly priming: boolean,
    /** Called for every connection a stream is given (congestion hooks). */
    private readonly watch: (sink: ResponseSink) => void,
  ) {}

  /** The GET stream, connected or waiting for its client to come back. */
  get getStream(): Stream | undefined { return this.standalone; }
  get getConnected(): boolean { return this.standalone?.sink !== undefined && !this.standalone.sink.done; }

  /** A POST's stream on its connection (its events carry ids from now on). */
  open(requestId: JsonRpcId, sink: ResponseSink): Stream {
    const s = new Stream(this.next++, 'post', requestId);
    this.streams.set(s.no, s);
    s.sink = sink;
    return s;
  }

  /** Sends the priming event (an id, empty data) so the stream can be resumed before anything else was sent. */
  prime(stream: Stream): void {
    if (this.priming) stream.sink?.send(`id: ${stream.no}.0\ndata: \n\n`);
  }

  /**
   * A GET: with a Last-Event-ID of ours, that stream taken up again (what was missed first);
   * else a new standalone stream. Returns false when a standalone stream is already connected.
   */
  get(sink: ResponseSink, lastEventId?: string): boolean {
    const at = parseEventId(lastEventId);
    const stream = at && this.streams.get(at.stream);
    if (stream) return this.resume(stream, at.seq, sink);
    if (this.getConnected) return false;
    const s = new Stream(this.next++, 'get');
    this.streams.set(s.no, s);
    this.standalone = s;
    this.attach(s, sink);
    sink.openStream();
    this.prime(s);
    return true;
  }

  private resume(stream: Stream, seq: number, sink: ResponseSink): boolean {
    const missed = this.log?.after(stream.no, seq) ?? [];
    if (stream.finished && missed.length === 0) {
      // Everything was delivered: nothing more will come on it.
      sink.res.writeHead(204).end();
      return true;
    }
    stream.sink?.end();
    sink.openStream();
    for (const text of missed) sink.send(text);
    if (stream.finished) return (sink.end(), true);
    if (stream.kind === 'get') this.standalone = stream;
    this.attach(stream, sink);
    return true;
  }

  private attach(stream: Stream, sink: ResponseSink): void {
    stream.sink = sink;
    this.watch(sink);
    sink.onclose = () => {
      if (stream.sink !== sink) return;
      stream.sink = undefined;
      stream.since = Date.now();
    };
  }

  /** Sends a message on a stream under its next event id, keeping it for a resume; `last` ends the stream. */
  send(stream: Stream, message: JsonRpcMessage, last = false): void {
    const id = stream.nextId();
    const text = sseEvent(JSON.stringify(message), id);
    this.log ??= new EventLog(this.replay?.bytes ?? 1024 * 1024, this.replay?.windowMs ?? 60_000);
    this.log.add(stream.no, stream.seq, text);
    stream.sink?.send(text);
    if (last) this.finish(stream);
  }

  /** The stream is over: its connection ends; it can still be replayed for a while. */
  finish(stream: Stream): void {
    stream.finished = true;
    stream.since = Date.now();
    const sink = stream.sink;
    stream.sink = undefined;
    sink?.end();
  }

  /** Keep-alives for the GET stream; streams nobody can take up any more are forgotten. */
  tick(now = Date.now()): void {
    this.standalone?.sink?.keepAlive(KEEPALIVE_MS);
    const windowMs = this.replay?.windowMs ?? 60_000;
    for (const [no, s] of this.streams) {
      if (s.sink || now - s.since < windowMs || !(s.finished || s.kind === 'get')) continue;
      this.streams.delete(no);
      if (this.standalone === s) this.standalone = undefined;
    }
    this.log?.trim(now);
  }

  close(): void {
    for (const s of this.streams.values()) s.sink?.end();
    this.streams.clear();
    this.standalone = undefined;
  }
}
