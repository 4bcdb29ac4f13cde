/**
 * @mentions in comment bodies.
 *
 * A mention is '@' followed by a user name (letters, digits, '.', '_' and '-', starting with a letter or
 * digit, at most 128 characters: the rules of platform/names.ts), where the '@' starts the text or follows
 * a character that is neither a word character nor '@' — so "ana@example.com" mentions nobody. Names are
 * matched exactly (user names are case-sensitive). Sentence punctuation after a name ("thanks @ana.") is
 * not part of it unless a user has that exact name: each token is tried as written, then without trailing
 * '.', '_' and '-'.
 */
const MENTION = /(^|[^\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,127})/g;

/** At most this many different names may be mentioned in one comment. */
export const MAX_MENTIONS = 50;

export interface MentionToken {
  /** The name as written after '@'. */
  written: string;
  /** The same without trailing '.', '_' and '-' (equal to `written` when there are none). */
  trimmed: string;
}

/** The distinct mention tokens of a text, in order of first appearance. */
export function mentionTokens(text: string): MentionToken[] {
  const seen = new Set<string>();
  const out: MentionToken[] = [];
  for (const m of text.matchAll(MENTION)) {
    const written = m[2]!;
    if (seen.has(written)) continue;
    seen.add(written);
    out.push({ written, trimmed: written.replace(/[._-]+$/, '') });
  }
  return out;
}

/** Every name a lookup must be asked about to resolve these tokens. */
export function candidateNames(tokens: readonly MentionToken[]): string[] {
  return [...new Set(tokens.flatMap((t) => [t.written, t.trimmed]))];
}

/**
 * Splits tokens into the users they name (of those `known`, in order of appearance, each once) and the
 * names that named nobody known (as trimmed).
 */
export function resolveMentions(tokens: readonly MentionToken[], known: ReadonlySet<string>): { resolved: string[]; unresolved: string[] } {
  const resolved: string[] = [];
  const unresolved: string[] = [];
  for (const t of tokens) {
    const name = known.has(t.written) ? t.written : known.has(t.trimmed) ? t.trimmed : undefined;
    if (name === undefined) {
      if (!unresolved.includes(t.trimmed)) unresolved.push(t.trimmed);
    } else if (!resolved.includes(name)) resolved.push(name);
  }
  return { resolved, unresolved: unresolved.filter((n) => !resolved.includes(n)) };
}

/** A short single-line extract of a body for notifications (whitespace collapsed, at most `max` characters). */
export function excerpt(text: string, max = 200): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}
