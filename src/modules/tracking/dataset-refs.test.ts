import { describe, expect, it } from 'vitest';
import { datasetRefs } from './tracking.service.js';

describe('datasetRefs: Steward dataset versions named by an MLflow dataset source', () => {
  it('reads steward:// sources, dataset API URLs, and both inside MLflow JSON sources', () => {
    expect(datasetRefs('steward://hmda@3')).toEqual([{ dataset: 'hmda', version: 3 }]);
    expect(datasetRefs('{"url": "http://steward:8080/api/v1/datasets/credit.cards/versions/12/rows?project=risk"}')).toEqual([{ dataset: 'credit.cards', version: 12 }]);
    expect(datasetRefs('{"uri": "steward://hmda@1"}')).toEqual([{ dataset: 'hmda', version: 1 }]);
    expect(datasetRefs('https://x/api/v1/datasets/hmda/versions/7')).toEqual([{ dataset: 'hmda', version: 7 }]);
  });

  it('names nothing for other sources', () => {
    expect(datasetRefs('{"uri": "s3://bucket/train.parquet"}')).toEqual([]);
    expect(datasetRefs('steward://hmda')).toEqual([]);
    expect(datasetRefs('steward://../x@1')).toEqual([]);
    expect(datasetRefs('https://x/api/v1/datasets/hmda/versions/7x')).toEqual([]);
    expect(datasetRefs('not json {')).toEqual([]);
  });
});
