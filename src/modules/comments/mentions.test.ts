import { describe, expect, it } from 'vitest';
import { candidateNames, excerpt, mentionTokens, resolveMentions } from './mentions.js';

const written = (text: string) => mentionTokens(text).map((t) => t.written);

describe('mentions', () => {
  it('finds @names at the start, after spaces and punctuation, once each', () => {
    expect(written('@ana hi (@bob) and @ana, "@c.d-e_f"')).toEqual(['ana', 'bob', 'c.d-e_f']);
    expect(written('line\n@Zoe1 and\t@x')).toEqual(['Zoe1', 'x']);
  });

  it('ignores e-mail addresses, doubled @, and names that cannot be names', () => {
    expect(written('mail ana@example.com or x@@bob, @@carl, @-dash, @.dot, @ alone')).toEqual([]);
    expect(written(`@${'a'.repeat(200)}`)).toEqual(['a'.repeat(128)]);
  });

  it('tries a name as written, then without trailing punctuation', () => {
    const tokens = mentionTokens('thanks @bob. @carl-- @dora.');
    expect(candidateNames(tokens)).toEqual(['bob.', 'bob', 'carl--', 'carl', 'dora.', 'dora']);
    expect(resolveMentions(tokens, new Set(['bob.', 'carl', 'bob']))).toEqual({ resolved: ['bob.', 'carl'], unresolved: ['dora'] });
    // Two spellings of one user resolve to them once.
    expect(resolveMentions(mentionTokens('@ana @ana.'), new Set(['ana']))).toEqual({ resolved: ['ana'], unresolved: [] });
  });

  it('makes one-line excerpts without splitting characters', () => {
    expect(excerpt('  a\n\n b\tc ')).toBe('a b c');
    const long = excerpt('😀'.repeat(300), 10);
    expect(Array.from(long)).toHaveLength(10);
    expect(long.endsWith('😀…')).toBe(true);
  });
});
