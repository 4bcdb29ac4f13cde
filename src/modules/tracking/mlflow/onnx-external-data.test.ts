import { describe, expect, it } from 'vitest';
import { linearModel, mlpModel } from '../../../../test/fixtures/models.js';
import { externalDataLinearModel } from './mlflow-registry.test-support.js';
import { inlineExternalData, OnnxFormatError } from './onnx-external-data.js';

describe('inlineExternalData', () => {
  it('folds external tensor data back in, giving the bytes of the same model saved in one file', () => {
    const { model, data } = externalDataLinearModel('weights.bin', 8);
    const read: string[] = [];
    const inlined = inlineExternalData(model, (location) => {
      read.push(location);
      return location === 'weights.bin' ? data : undefined;
    });
    expect(read).toEqual(['weights.bin']);
    expect(inlined).not.toBeNull();
    expect(Buffer.from(inlined!).equals(Buffer.from(linearModel()))).toBe(true);
  });

  it('answers null for a model that keeps all its data inside', () => {
    expect(inlineExternalData(mlpModel(), () => {
      throw new Error('nothing should be read');
    })).toBeNull();
  });

  it('names the missing file, and refuses data outside the file or paths outside the folder', () => {
    const { model, data } = externalDataLinearModel('w.bin', 0);
    expect(() => inlineExternalData(model, () => undefined)).toThrow(/'w\.bin', which was not logged/);
    expect(() => inlineExternalData(model, () => data.subarray(0, 8))).toThrow(OnnxFormatError);
    const escaping = externalDataLinearModel('../secret', 0).model;
    expect(() => inlineExternalData(escaping, () => data)).toThrow(/not a path inside the model's folder/);
  });

  it('refuses bytes that are not protobuf', () => {
    expect(() => inlineExternalData(Buffer.from('\u00ff\u00ff\u00ff\u00ff not a model'), () => undefined)).toThrow(OnnxFormatError);
  });
});
