/** The `steward comments` flag parsing and text output (src/cli/commands/comments.ts). */
import { describe, expect, it } from 'vitest';
import { notificationsText, subjectFromOptions, subjectQuery, threadsText } from '../../cli/commands/comments.js';
import { UsageError } from '../../cli/context.js';
import type { ThreadView } from './comments.service.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('steward comments', () => {
  it('reads the subject from --model, --version and --deployment', () => {
    expect(subjectFromOptions({ model: 'price' })).toEqual({ type: 'model', model: 'price' });
    expect(subjectFromOptions({ model: 'price', version: '3' })).toEqual({ type: 'model_version', model: 'price', version: 3 });
    expect(subjectFromOptions({ deployment: 'api' })).toEqual({ type: 'deployment', deployment: 'api' });
    expect(usageError(() => subjectFromOptions({}))).toMatch(/give --model/);
    expect(usageError(() => subjectFromOptions({ version: '2' }))).toBe('--version needs --model');
    expect(usageError(() => subjectFromOptions({ model: 'price', version: 'v2' }))).toMatch(/must be a version number/);
    expect(usageError(() => subjectFromOptions({ model: 'price', deployment: 'api' }))).toMatch(/not both/);
  });

  it('builds the list query', () => {
    expect(subjectQuery({ type: 'model_version', model: 'price', version: 3 }, 'fraud')).toBe('?project=fraud&subjectType=model_version&model=price&version=3');
    expect(subjectQuery({ type: 'deployment', deployment: 'a b' }, undefined)).toBe('?subjectType=deployment&deployment=a%20b');
  });

  it('prints threads with replies indented, and notifications with unread marks', () => {
    const base = { subject: { type: 'model' as const, id: 'm', label: 'price' }, mentions: [], editedAt: null, deleted: false };
    const threads: ThreadView[] = [
      { ...base, id: 'c1', parentId: null, author: 'ana', body: 'line 1\nline 2', createdAt: 'T1', replies: [{ ...base, id: 'c2', parentId: 'c1', author: 'bob', body: 'ok', createdAt: 'T2', editedAt: 'T3' }] },
    ];
    expect(threadsText(threads)).toBe('ana · T1 · c1\n  line 1\n  line 2\n    ↳ bob · T2 (edited T3) · c2\n        ok');
    expect(threadsText([])).toBe('no comments');
    const text = notificationsText(
      [{ id: 'n1', kind: 'mention', createdAt: 'T4', readAt: null, payload: { author: 'ana', subjectType: 'model_version', project: 'default', subject: 'price v2', excerpt: 'hi @bob', commentId: 'c9' } }],
      1,
    );
    expect(text).toContain('ana mentioned you on model_version default/price v2: hi @bob');
    expect(text.split('\n')[1]).toMatch(/^•/);
    expect(text).toMatch(/1 unread$/);
  });
});
