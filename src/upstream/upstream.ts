// The boundary between the gateway and one MCP server it talks to: a stdio child process or a
// local HTTP server. Shaped like the MCP SDK's Transport, carrying plain JSON-RPC objects.
import type { JsonRpcMessage } from '../jsonrpc/messages.ts';

export interface UpstreamExit {
  /** Why the upstream went away, in plain words (shown to clients whose requests it fails). */
  reason: string;
  /** Exit code of a child, if it exited. */
  code?: number | null;
  signal?: NodeJS.Signals | null;
  /** True when we asked it to stop (not a crash). */
  expected: boolean;
}

export interface Upstream {
  /** Starts the process or connection. Resolves once messages can be sent; rejects if it cannot start. Install callbacks first, or messages may be lost. */
  start(): Promise<void>;
  /** Sends one message. Never throws: a failure to deliver is reported through `onerror` or `onclose`. */
  send(message: JsonRpcMessage): void;
  /** Stops it (a child: close stdin, then SIGTERM, then SIGKILL). Resolves when it is gone; `onclose` has then been called. */
  close(): Promise<void>;
  /** Called for every message the server sends, in order. */
  onmessage?: (message: JsonRpcMessage) => void;
  /** Called once when the upstream is gone, whether it crashed or was closed. */
  onclose?: (exit: UpstreamExit) => void;
  /** Called for problems that do not end the upstream (an unparseable line, a failed HTTP send). */
  onerror?: (error: Error) => void;
  /** The child's pid, for stdio upstreams while running. */
  readonly pid?: number;
  /** The recent stderr of a child, for the UI and for crash messages. */
  readonly stderr?: StderrLog;
  /** Stops reading the server's messages until `resume` (a client is not taking what it sent). */
  pause?(): void;
  resume?(): void;
  /** Bytes written to the server that it has not read yet. */
  readonly backlog?: number;
  /**
   * One ordered stream each way (stdio): whatever the server sends after answering a request
   * was sent after it read everything written before that request.
   */
  readonly ordered?: boolean;
}

/** A bounded log of a child's stderr: keeps the last `limit` bytes, counts what it dropped. */
export class StderrLog {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the front to stay within the limit. */
  dropped = 0;
  constructor(readonly limit: number) {}

  append(chunk: Buffer): void {
    if (chunk.length >= this.limit) {
      this.dropped += this.size + chunk.length - this.limit;
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.size = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0]!;
      const over = this.size - this.limit;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }

  get bytes(): number { return this.size; }

  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }

  /** The last `n` lines, for error messages. */
  tail(n = 5): string {
    return this.text().trimEnd().split('\n').slice(-n).join('\n');
  }
}
