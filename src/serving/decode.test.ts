import { describe, expect, it } from 'vitest';
import { DomainError } from '../platform/errors.js';
import { decodeRecords } from './decode.js';
import { modelSchema } from './model-schema.js';

const schema = modelSchema(
  { inputs: [{ name: 'age', datatype: 'FP32', shape: [-1] }, { name: 'owner', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'probability', datatype: 'FP64', shape: [-1, 1] }] },
  { acceptsMissing: true },
);

describe('decoding numeric features', () => {
  it('reads a boolean for a float feature as 1 or 0 (boolean columns are 0/1 features in training), from JSON and from CSV text', () => {
    const json = decodeRecords(schema, [{ age: 30, owner: true }, { age: 41.5, owner: false }], 'rows');
    expect(Array.from(json.inputs[1]!.data as Float32Array)).toEqual([1, 0]);
    expect(Array.from(json.inputs[0]!.data as Float32Array)).toEqual([30, 41.5]);
    const text = decodeRecords(schema, [{ age: '30', owner: 'TRUE' }, { age: '2', owner: ' false ' }], 'rows', true);
    expect(Array.from(text.inputs[1]!.data as Float32Array)).toEqual([1, 0]);
  });

  it('still refuses other non-numbers, naming the field', () => {
    for (const bad of ['yes', { a: 1 }, [1]]) {
      try {
        decodeRecords(schema, [{ age: 30, owner: bad }], 'rows');
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).details?.field).toBe('rows[0].owner');
      }
    }
    expect(() => decodeRecords(schema, [{ age: 'yes', owner: 1 }], 'rows', true)).toThrow(/'yes' is not a number/);
  });
});
