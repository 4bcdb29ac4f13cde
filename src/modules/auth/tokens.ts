import { createHash, randomBytes } from 'node:crypto';

/** API tokens: "stw_" and 43 base64url characters (256 random bits). Only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'stw_';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Tokens carry 256 bits of entropy, so a fast hash is enough to make the stored form useless to a
 * reader of the database (unlike passwords, they cannot be guessed from a dictionary).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The part of a token shown in listings so that people can tell their tokens apart. */
export function displayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
