/**
 * The memory store's continue tokens: base64url JSON of the snapshot revision and the last key
 * returned. Opaque to callers; only this module reads them.
 *
 * @module
 */

/** What a continue token carries. */
export interface ContinueToken {
  /** The snapshot revision of the list. */
  readonly revision: number;
  /** The key of the last item returned so far. */
  readonly lastKey: string;
}

/** Encode a token. */
export function encodeContinueToken(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ rev: token.revision, key: token.lastKey }), 'utf8').toString('base64url');
}

/**
 * Decode a token made by {@link encodeContinueToken}.
 * @throws `TypeError` if `token` is not one.
 */
export function decodeContinueToken(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalidToken(token, { cause });
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const { rev, key } = parsed as { rev?: unknown; key?: unknown };
    if (typeof rev === 'number' && Number.isSafeInteger(rev) && rev >= 0 && typeof key === 'string') {
      return { revision: rev, lastKey: key };
    }
  }
  throw invalidToken(token);
}

/** The error for a token this store cannot use. */
export function invalidToken(token: string, options?: ErrorOptions, reason = 'it is not a continue token of this store'): TypeError {
  const shown = token.length > 48 ? `${token.slice(0, 45)}...` : token;
  return new TypeError(`invalid continue token ${JSON.stringify(shown)}: ${reason}`, options);
}
