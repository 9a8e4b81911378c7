// Password hashing for local accounts: scrypt (node:crypto) with a per-hash salt, the cost
// recorded in a PHC-style string so costs can rise without invalidating old hashes.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N (a power of two), r, p. Recorded in each hash, so old hashes keep working. */
export interface ScryptParams { N: number; r: number; p: number }

/** OWASP's recommendation for scrypt: N=2^17, r=8, p=1 (128 MiB, a fraction of a second). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, KEY_LENGTH, options, (e, key) => (e ? reject(e) : resolve(key))));
}

/** `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`, salt and hash in unpadded base64. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (!Number.isInteger(Math.log2(params.N)) || params.N < 2) throw new RangeError(`scrypt N must be a power of two, got ${params.N}`);
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return `$scrypt$ln=${Math.log2(params.N)},r=${params.r},p=${params.p}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
}

/** Checks a password against a hash from `hashPassword`, in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

const HASH_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseHash(hash: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = HASH_FORMAT.exec(hash);
  if (!m) return undefined;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds, so a damaged state file cannot make one sign-in take gigabytes.
  if (ln < 1 || r < 1 || p < 1 || p > 16 || 128 * 2 ** ln * r > 512 * 1024 * 1024) return undefined;
  return { params: { N: 2 ** ln, r, p }, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

/** Whether a hash was made with these costs (false for a malformed hash). */
export function sameParams(hash: string, params: ScryptParams): boolean {
  const parsed = parseHash(hash);
  return parsed !== undefined && parsed.params.N === params.N && parsed.params.r === params.r && parsed.params.p === params.p;
}
