import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets for API tokens and devices: 256 random bits, shown once, stored only as SHA-256 (hex).
 * A fast hash is right here: the secret has full entropy, so nothing is gained by a slow KDF.
 */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export const API_TOKEN_PREFIX = 'orf_';
export const DEVICE_SECRET_PREFIX = 'dev_';
