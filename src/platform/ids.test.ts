import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

const timeOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newId', () => {
  it('has the UUIDv7 layout with the time in its first 48 bits', () => {
    const at = Date.UTC(2030, 10, 27, 12, 0, 0, 123);
    const id = newId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(timeOf(id)).toBe(at);
  });

  it('sorts as text in the order the ids were made, within a millisecond too, without repeats', () => {
    const base = Date.UTC(2031, 0, 1);
    const ids: string[] = [];
    for (let ms = 0; ms < 50; ms++) for (let k = 0; k < 100; k++) ids.push(newId(base + ms));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps counting up when the clock steps back a little, and moves to the next millisecond when one is full', () => {
    const base = Date.UTC(2032, 0, 1);
    const first = newId(base);
    const stepBack = newId(base - 300);
    expect(stepBack > first).toBe(true);
    const meant = newId(base - 60_000);
    expect(timeOf(meant)).toBe(base - 60_000);
    const burst = Array.from({ length: 5000 }, () => newId(base));
    expect([...burst].sort()).toEqual(burst);
    expect(timeOf(burst.at(-1)!)).toBeGreaterThan(base);
  });
});
