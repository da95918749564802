/**
 * The memory store's continue tokens: base64url JSON of the snapshot revision, the last key
 * returned and how many items remain. Opaque to callers; only this module reads them.
 *
 * Carrying the remaining count keeps paging linear: a snapshot never changes, so the count that the
 * first page took one scan to make stays true, and later pages only subtract what they return.
 *
 * @module
 */

/** What a continue token carries. */
export interface ContinueToken {
  /** The snapshot revision of the list. */
  readonly revision: number;
  /** The key of the last item returned so far. */
  readonly lastKey: string;
  /** How many items of the snapshot come after `lastKey` (at least 1). */
  readonly remaining: number;
}

/** Encode a token. */
export function encodeContinueToken(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ rev: token.revision, key: token.lastKey, rem: token.remaining }), 'utf8').toString('base64url');
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
    const { rev, key, rem } = parsed as { rev?: unknown; key?: unknown; rem?: unknown };
    if (isCount(rev) && typeof key === 'string' && isCount(rem) && rem > 0) {
      return { revision: rev, lastKey: key, remaining: rem };
    }
  }
  throw invalidToken(token);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The error for a token this store cannot use. */
export function invalidToken(token: string, options?: ErrorOptions, reason = 'it is not a continue token of this store'): TypeError {
  const shown = token.length > 48 ? `${token.slice(0, 45)}...` : token;
  return new TypeError(`invalid continue token ${JSON.stringify(shown)}: ${reason}`, options);
}
