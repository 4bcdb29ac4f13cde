/** `steward card edit`'s parsing of --set pairs and of field files. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../context.js';
import { fieldsFromSets, parseFieldsFile } from './cards.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('card edit --set', () => {
  it('builds sections: texts as they are, list items from text or JSON, repeated list sets adding items, empty removing', () => {
    expect(
      fieldsFromSets([
        ['model_details.overview', '[draft] scores loans'],
        ['considerations.limitations', 'thin files'],
        ['considerations.limitations', '["small towns", {"description": "new products"}]'],
        ['considerations.ethical_considerations', '{"name": "bias", "mitigation_strategy": "parity gate"}'],
        ['considerations.users', ''],
      ]),
    ).toEqual({
      model_details: { overview: '[draft] scores loans' },
      considerations: {
        limitations: ['thin files', 'small towns', { description: 'new products' }],
        ethical_considerations: [{ name: 'bias', mitigation_strategy: 'parity gate' }],
        users: null,
      },
    });
  });

  it('names the fields when a path is unknown, and says when JSON does not parse', () => {
    expect(usageError(() => fieldsFromSets([['considerations.intended_use', 'x']]))).toMatch(/^--set considerations\.intended_use: not a card field; fields are model_details\.overview, /);
    expect(usageError(() => fieldsFromSets([['considerations.tradeoffs', '[oops']]))).toMatch(/looks like JSON but does not parse/);
  });
});

describe('card edit -f', () => {
  it('reads JSON and YAML, and takes the fields out of a whole card', () => {
    const yaml = 'considerations:\n  use_cases:\n    - pre-screening\n  limitations:\n    - description: thin files\n';
    expect(parseFieldsFile('fields.yaml', yaml)).toEqual({ considerations: { use_cases: ['pre-screening'], limitations: [{ description: 'thin files' }] } });
    expect(parseFieldsFile('fields.txt', yaml)).toEqual(parseFieldsFile('fields.yml', yaml));
    expect(parseFieldsFile('card.json', JSON.stringify({ model: 'credit', fields: { model_details: { overview: 'o' } } }))).toEqual({ model_details: { overview: 'o' } });
    expect(usageError(() => parseFieldsFile('f.json', '{'))).toMatch(/^f\.json is not valid JSON/);
    expect(usageError(() => parseFieldsFile('f.yaml', '- a\n- b\n'))).toBe('f.yaml must hold an object with model_details and/or considerations');
  });
});
