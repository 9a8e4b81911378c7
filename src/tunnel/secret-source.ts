// A tunnel token (ngrok authtoken, cloudflared tunnel token) as a provider receives it: the value,
// or a function that reads it from the SecretStore at each connect, so a token the owner
// replaces is used on the next reconnect and never sits in the provider's options.
import { reasonOf, TunnelError } from './tunnel-error.ts';

export type SecretSource = string | (() => Promise<string | undefined>);

/** The token, or a TunnelError (`invalid-option`) naming `what` when there is none. */
export async function readSecret(source: SecretSource, what: string): Promise<string> {
  let value: string | undefined;
  try {
    value = typeof source === 'string' ? source : await source();
  } catch (e) {
    throw new TunnelError('unreachable', `${what} cannot be read from the secret store: ${reasonOf(e)}`, { cause: e });
  }
  if (!value) throw new TunnelError('invalid-option', `${what} is not set`);
  return value;
}
