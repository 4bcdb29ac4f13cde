import { describe, expect, it } from 'vitest';
import { flavorFromFileName, nameProblem, parseMetrics, percentOf } from './upload';

describe('upload form helpers', () => {
  it('reads key=value metric lines, skipping blanks and comments', () => {
    expect(parseMetrics('')).toEqual({ metrics: {} });
    expect(parseMetrics('rmse=0.42\n\n  r2 = 0.9 \r\n# note\nn=1e3')).toEqual({ metrics: { rmse: 0.42, r2: 0.9, n: 1000 } });
    expect(parseMetrics('auc=-0')).toEqual({ metrics: { auc: -0 } });
  });

  it('names the line at fault', () => {
    expect(parseMetrics('rmse=0.4\nmae 0.3')).toEqual({ problem: expect.stringContaining('line 2') as unknown });
    expect(parseMetrics('=1')).toEqual({ problem: expect.stringContaining('no name') as unknown });
    expect(parseMetrics('acc=high')).toEqual({ problem: expect.stringContaining('must be a number') as unknown });
    expect(parseMetrics('acc=')).toEqual({ problem: expect.stringContaining('must be a number') as unknown });
    expect(parseMetrics('acc=Infinity')).toEqual({ problem: expect.stringContaining('must be a number') as unknown });
    expect(parseMetrics('a=1\na=2')).toEqual({ problem: expect.stringContaining('twice') as unknown });
    expect(parseMetrics('__proto__=1')).toEqual({ problem: expect.stringContaining('__proto__') as unknown });
  });

  it('checks names as the server does', () => {
    expect(nameProblem('houses', 'model')).toBeNull();
    expect(nameProblem('a.b-c_1', 'dataset')).toBeNull();
    expect(nameProblem('', 'model')).toMatch(/Give the model a name/);
    expect(nameProblem('-x', 'model')).toMatch(/letters, digits/);
    expect(nameProblem('a b', 'dataset')).toMatch(/dataset name/);
    expect(nameProblem('x'.repeat(129), 'model')).not.toBeNull();
  });

  it('guesses the flavor from the file name and computes percentages', () => {
    expect(flavorFromFileName('Model.ONNX')).toBe('onnx');
    expect(flavorFromFileName('booster.json')).toBe('xgboost-json');
    expect(flavorFromFileName('model.bin')).toBeNull();
    expect(percentOf(50, 200)).toBe(25);
    expect(percentOf(5, null)).toBeNull();
    expect(percentOf(300, 200)).toBe(100);
  });
});
