// The one structured logger of the app: pino, with every path that may carry a token, a
// password, a cookie or a user's env value redacted before it is written (DESIGN §6).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'cookie', '*.cookie', 'headers.cookie', 'req.headers.cookie', 'set-cookie', '*["set-cookie"]',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'password', '*.password', 'secret', '*.secret', 'clientSecret', '*.clientSecret',
  'client_secret', '*.client_secret', 'env', '*.env', 'userEnv', '*.userEnv', 'value', '*.value',
];

export interface LoggerOptions {
  /** pino level; `MCP_PUBLISH_LOG_LEVEL` overrides; default "info". */
  level?: string;
  /** Where lines go; default stderr, so stdout stays free for the URLs the CLI prints. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = process.env.MCP_PUBLISH_LOG_LEVEL ?? options.level ?? 'info';
  return pino(
    { level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** A logger that drops everything: for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
