// The one base of our errors (STYLE 3): a `code` from the subclass's closed list that callers
// switch on, the original error as `cause`, and `expose`, which says whether the message was
// written for, and may reach, the person at the other end. Every surface's error mapper (the
// MCP endpoint's JSON-RPC errors, the sign-in pages, the admin API) shows the message of an
// exposed error and a fixed sentence for anything else, and never a stack.

export interface CodedErrorOptions {
  /** The error this one stands for (a library's, a system call's). Logged, never shown. */
  cause?: unknown;
  /** The message may be shown to whoever made the request. Default false. */
  expose?: boolean;
}

/**
 * Subclasses name their codes as a closed list (a `const` array and its union type) documented
 * beside the class, as `LoginError` does; e.g. `class LoginError extends CodedError<LoginErrorCode>`.
 */
export abstract class CodedError<Code extends string | number = string> extends Error {
  readonly code: Code;
  readonly expose: boolean;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.expose = options.expose ?? false;
  }
}

/** What a remote person may read of `e`: its message when it is an exposed coded error, else `fallback`. */
export function shownMessage(e: unknown, fallback: string): string {
  return e instanceof CodedError && e.expose ? e.message : fallback;
}
