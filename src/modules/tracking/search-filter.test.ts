import { describe, expect, it } from 'vitest';
import {
  SearchFilterError,
  compareRuns,
  decodePageToken,
  encodePageToken,
  ilike,
  like,
  matchesModel,
  matchesModelVersion,
  matchesRun,
  paginate,
  parseModelFilter,
  parseModelVersionFilter,
  parseOrderBy,
  parseRunFilter,
  type ModelForSearch,
  type ModelVersionForSearch,
  type RunForSearch,
} from './search-filter.js';

function run(over: Partial<RunForSearch> & { runId: string }): RunForSearch {
  return {
    runName: null,
    status: 'FINISHED',
    startTime: 0,
    endTime: 1,
    userId: 'user-id',
    artifactUri: null,
    lifecycleStage: 'active',
    metrics: {},
    params: {},
    tags: {},
    datasets: [],
    ...over,
  };
}

function errorOf(fn: () => unknown): SearchFilterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SearchFilterError);
    return e as SearchFilterError;
  }
  throw new Error('expected a SearchFilterError');
}

const filter = (runs: RunForSearch[], text: string): string[] =>
  runs.filter((r) => matchesRun(r, parseRunFilter(text))).map((r) => r.runId);

describe('parseRunFilter: clauses (cases from MLflow test_filter)', () => {
  it.each([
    ['metric.acc >= 0.94', [{ comparator: '>=', key: 'acc', type: 'metric', value: 0.94 }]],
    ['metric.acc>=100', [{ comparator: '>=', key: 'acc', type: 'metric', value: 100 }]],
    ["params.m!='tf'", [{ comparator: '!=', key: 'm', type: 'parameter', value: 'tf' }]],
    ['params."m"!="tf"', [{ comparator: '!=', key: 'm', type: 'parameter', value: 'tf' }]],
    ['metric."legit name" >= 0.243', [{ comparator: '>=', key: 'legit name', type: 'metric', value: 0.243 }]],
    ['metrics.XYZ = 3', [{ comparator: '=', key: 'XYZ', type: 'metric', value: 3 }]],
    ['params."cat dog" = "pets"', [{ comparator: '=', key: 'cat dog', type: 'parameter', value: 'pets' }]],
    ['metrics."X-Y-Z" = 3', [{ comparator: '=', key: 'X-Y-Z', type: 'metric', value: 3 }]],
    ['metrics."X//Y#$$@&Z" = 3', [{ comparator: '=', key: 'X//Y#$$@&Z', type: 'metric', value: 3 }]],
    [
      "metrics.rmse < 1 and params.model_class = 'LR'",
      [
        { comparator: '<', key: 'rmse', type: 'metric', value: 1 },
        { comparator: '=', key: 'model_class', type: 'parameter', value: 'LR' },
      ],
    ],
    ['`metric`.a >= 0.1', [{ comparator: '>=', key: 'a', type: 'metric', value: 0.1 }]],
    ["tags.version = 'commit-hash'", [{ comparator: '=', key: 'version', type: 'tag', value: 'commit-hash' }]],
    ["`tags`.source_name = 'a notebook'", [{ comparator: '=', key: 'source_name', type: 'tag', value: 'a notebook' }]],
    ['metrics."accuracy.2.0" > 5', [{ comparator: '>', key: 'accuracy.2.0', type: 'metric', value: 5 }]],
    ['metrics.`spacey name` > 5', [{ comparator: '>', key: 'spacey name', type: 'metric', value: 5 }]],
    ['params."p.a.r.a.m" != "a"', [{ comparator: '!=', key: 'p.a.r.a.m', type: 'parameter', value: 'a' }]],
    ['tags."t.a.g" = "a"', [{ comparator: '=', key: 't.a.g', type: 'tag', value: 'a' }]],
    ["tags.mlflow.runName = 'x'", [{ comparator: '=', key: 'mlflow.runName', type: 'tag', value: 'x' }]],
    ["attribute.artifact_uri = '1/23/4'", [{ type: 'attribute', comparator: '=', key: 'artifact_uri', value: '1/23/4' }]],
    ['attribute.start_time >= 1234', [{ type: 'attribute', comparator: '>=', key: 'start_time', value: 1234 }]],
    ["run.status = 'RUNNING'", [{ type: 'attribute', comparator: '=', key: 'status', value: 'RUNNING' }]],
    ["attr.user_id = 'u'", [{ type: 'attribute', comparator: '=', key: 'user_id', value: 'u' }]],
    ["status = 'RUNNING'", [{ type: 'attribute', comparator: '=', key: 'status', value: 'RUNNING' }]],
    ['attributes.created > 5', [{ type: 'attribute', comparator: '>', key: 'start_time', value: 5 }]],
    ["attributes.`Run name` = 'x'", [{ type: 'attribute', comparator: '=', key: 'run_name', value: 'x' }]],
    ["dataset.name = 'my_dataset'", [{ type: 'dataset', comparator: '=', key: 'name', value: 'my_dataset' }]],
    ['tags.version IS NULL', [{ comparator: 'IS NULL', key: 'version', type: 'tag', value: null }]],
    ['tags.version is not null', [{ comparator: 'IS NOT NULL', key: 'version', type: 'tag', value: null }]],
    ['params.lr IS NULL', [{ comparator: 'IS NULL', key: 'lr', type: 'parameter', value: null }]],
    [
      "tags.a IS NULL AND params.b = 'val'",
      [
        { comparator: 'IS NULL', key: 'a', type: 'tag', value: null },
        { comparator: '=', key: 'b', type: 'parameter', value: 'val' },
      ],
    ],
    ["params.m = \"L'Hosp\"", [{ type: 'parameter', comparator: '=', key: 'm', value: "L'Hosp" }]],
    ['metrics.loss < -1.5e-3', [{ type: 'metric', comparator: '<', key: 'loss', value: -0.0015 }]],
  ])('%s', (text, expected) => {
    expect(parseRunFilter(text)).toEqual(expected);
  });

  it('treats an empty or blank filter as no clauses', () => {
    expect(parseRunFilter('')).toEqual([]);
    expect(parseRunFilter('   ')).toEqual([]);
    expect(parseRunFilter(undefined)).toEqual([]);
  });

  it('accepts keywords in any case and normalises comparators to upper case', () => {
    const clauses = parseRunFilter(
      "params.a like 'x%' AnD tags.b iLiKe 'Y' and attributes.run_id not in ('ab') and attributes.run_id In ('cd')",
    );
    expect(clauses.map((c) => c.comparator)).toEqual(['LIKE', 'ILIKE', 'NOT IN', 'IN']);
  });

  it('parses IN lists, trimming quotes and dropping run ids with upper-case letters', () => {
    expect(parseRunFilter("attributes.run_id IN ('abc', 'DEF', '123', 'd\\'e')")).toEqual([
      { type: 'attribute', key: 'run_id', comparator: 'IN', value: ['abc', '123', "d'e"] },
    ]);
    expect(parseRunFilter("datasets.name NOT IN ('Train', 'eval')")).toEqual([
      { type: 'dataset', key: 'name', comparator: 'NOT IN', value: ['Train', 'eval'] },
    ]);
  });
});

describe('parseRunFilter: errors (messages from MLflow test_error_filter and friends)', () => {
  it.each([
    ['metric.acc >= 0.94; metrics.rmse < 1', 'Search filter contained multiple expression'],
    ['m.acc >= 0.94', "Invalid entity type 'm'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"],
    ['acc >= 0.94', "Invalid attribute key 'acc' specified. Valid keys are"],
    ["p.model >= 'LR'", 'Invalid entity type'],
    ['attri.x != 1', 'Invalid entity type'],
    ["model >= 'LR'", 'Invalid attribute key'],
    ["metrics.A > 0.1 OR params.B = 'LR'", "Invalid clause(s) in filter string: 'OR'"],
    ["metrics.A > 0.1 NAND params.B = 'LR'", "Invalid clause(s) in filter string: 'NAND'"],
    ["metrics.A > 0.1 AND (params.B = 'LR')", 'Invalid clause(s) in filter string'],
    ['`metrics.A > 0.1', 'Invalid clause(s) in filter string'],
    ['param`.A > 0.1', 'Invalid clause(s) in filter string'],
    ['dummy`.A > 0.1', 'Invalid clause(s) in filter string'],
    ['attribute.start != 1', 'Invalid attribute key'],
    ['attribute.experiment_id != 1', 'Invalid attribute key'],
    ["attribute.lifecycle_stage = 'ACTIVE'", 'Invalid attribute key'],
    ["attribute._status != 'RUNNING'", 'Invalid attribute key'],
    ['attribute.status = true', 'Invalid clause(s) in filter string'],
    ["dataset.status = 'true'", "Invalid dataset key 'status' specified. Valid keys are '{'context', 'digest', 'name'}'"],
    ['metrics.acc IS NULL', "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'acc'"],
    ['attribute.status IS NULL', 'IS NULL / IS NOT NULL is only supported for tags and params'],
    ["metric.model = 'LR'", 'Expected numeric value type for metric. Found'],
    ["metric.model = '5'", 'Expected numeric value type for metric'],
    ['params.acc = 5', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 5"],
    ['tags.acc = 5', 'Expected a quoted string value for tag'],
    ['metrics.acc != metrics.acc', 'Expected numeric value type for metric'],
    ['1.0 > metrics.acc', "Invalid comparison clause. Expected 'Identifier' found '1.0'"],
    ['attribute.status = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ["attributes.start_time = 'now'", 'Expected numeric value type for numeric attribute: start_time'],
    ['attributes.start_time > 1.5', 'Expected an integer value for numeric attribute'],
    ['params.acc = LR', 'Parameter value is either not quoted or unidentified quote types used for string value LR'],
    ['tags.acc = LR', 'value is either not quoted or unidentified quote types'],
    ['params.acc = `LR`', 'value is either not quoted or unidentified quote types'],
    ["params.'acc = LR", 'Invalid clause(s) in filter string'],
    ["params.acc = 'LR", 'Invalid clause(s) in filter string'],
    ["params.acc = LR'", 'Invalid clause(s) in filter string'],
    ['params.acc = "LR\'', 'Invalid clause(s) in filter string'],
    ["tags.acc = = 'LR'", 'Invalid clause(s) in filter string'],
    ["attribute.status IS 'RUNNING'", 'Invalid clause(s) in filter string'],
    ['params.acc LR !=', 'Invalid clause(s) in filter string'],
    ['params.acc LR', 'Invalid clause(s) in filter string'],
    ['metric.acc !=', 'Invalid clause(s) in filter string'],
    ['foo is null', 'Invalid attribute key'],
    ['1=1', "Expected 'Identifier' found"],
    ['1==2', "Expected 'Identifier' found"],
    ["attributes.run_name IN ('foo','bar')", "Only the 'run_id' attribute supports comparison with a list"],
    ["attributes.run_id IN ()", 'expected a non-empty list of string values, but got empty list'],
    ['attributes.run_id IN (1, 2)', 'expected string value, punctuation, or whitespace, but got different type in list'],
    ['attributes.run_id IN ("a")', 'but got different type in list'],
    ["attributes.run_id IN ('a' 'b')", 'got ill-formed list'],
    ["attributes.run_id = ('a')", 'Lists are compared with IN or NOT IN only'],
    ["tags.t IN ('a')", 'Expected a quoted string value for tag'],
    ["attributes.status IN 'a'", 'Invalid clause(s) in filter string'],
    ['datasets.name = 40', 'Expected a quoted string value for dataset attributes. Got value 40'],
    ["metrics.a > 1 AND", 'Invalid clause(s) in filter string'],
  ])('%s', (text, message) => {
    const err = errorOf(() => parseRunFilter(text));
    expect(err.message).toContain(message);
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('names the offending token', () => {
    expect(errorOf(() => parseRunFilter("metrics.a > 1 OR params.b = 'x'")).token).toBe('OR');
    expect(errorOf(() => parseRunFilter('m.acc >= 0.94')).token).toBe('m');
    expect(errorOf(() => parseRunFilter('params.acc = 5')).token).toBe('5');
  });

  // MLflow test_bad_comparators
  it.each([
    ['metrics', ['~', '~=', 'LIKE', 'ILIKE', '=='], 'abc', '1.0'],
    ['params', ['>', '<', '>=', '<=', '~'], 'abc', "'my-param-value'"],
    ['tags', ['>', '<', '>=', '<=', '~'], 'abc', "'my-tag-value'"],
    ['attributes', ['>', '<', '>=', '<=', '~'], 'status', "'my-tag-value'"],
    ['attributes', ['LIKE', 'ILIKE'], 'start_time', '1234'],
    ['datasets', ['>', '<', '>=', '<=', '~'], 'name', "'my-dataset-name'"],
  ])('rejects bad comparators for %s', (entity, comparators, key, value) => {
    for (const comparator of comparators) {
      const err = errorOf(() => parseRunFilter(`${entity}.${key} ${comparator} ${value}`));
      expect(err.message).toMatch(/^Invalid comparator '/);
      expect(err.token).toBe(comparator);
    }
  });

  it('lists the allowed comparators in the message', () => {
    expect(errorOf(() => parseRunFilter("params.a > 'x'")).message).toBe(
      "Invalid comparator '>' not one of '{'!=', '=', 'ILIKE', 'LIKE'}'",
    );
  });
});

describe('matchesRun (cases from MLflow test_correct_filtering)', () => {
  const runs = [
    run({
      runId: 'hi',
      status: 'FAILED',
      metrics: { key1: 121 },
      params: { my_param: 'A' },
      datasets: [{ name: 'name1', digest: 'digest1', context: 'train' }],
    }),
    run({
      runId: 'hi2',
      status: 'FINISHED',
      metrics: { key1: 123 },
      params: { my_param: 'A' },
      tags: { tag1: 'C' },
      datasets: [{ name: 'name1', digest: 'digest1' }],
    }),
    run({
      runId: 'hi3',
      status: 'FAILED',
      metrics: { key1: 125 },
      params: { my_param: 'B' },
      tags: { tag1: 'D' },
      datasets: [{ name: 'name2', digest: 'digest2' }],
    }),
  ];

  it.each([
    ['', ['hi', 'hi2', 'hi3']],
    ["attributes.status = 'FAILED'", ['hi', 'hi3']],
    ['metrics.key1 = 123', ['hi2']],
    ['metrics.key1 != 123', ['hi', 'hi3']],
    ['metrics.key1 >= 123', ['hi2', 'hi3']],
    ['metrics.key1 > 123', ['hi3']],
    ['metrics.key1 <= 123', ['hi', 'hi2']],
    ['metrics.key1 < 123', ['hi']],
    ["params.my_param = 'A'", ['hi', 'hi2']],
    ["params.my_param != 'A'", ['hi3']],
    ["tags.tag1 = 'D'", ['hi3']],
    ["tags.tag1 != 'D'", ['hi2']],
    ["params.my_param = 'A' AND attributes.status = 'FAILED'", ['hi']],
    ["datasets.name = 'name1'", ['hi', 'hi2']],
    ["datasets.name != 'name1'", ['hi3']],
    ["datasets.name IN ('name1', 'name2')", ['hi', 'hi2', 'hi3']],
    ["datasets.name NOT IN ('name1')", ['hi3']],
    ["datasets.digest IN ('digest1', 'digest2')", ['hi', 'hi2', 'hi3']],
    ["datasets.name = 'name1' AND datasets.digest = 'digest2'", []],
    ["datasets.context = 'train'", ['hi']],
    ["datasets.context != 'train'", []],
    ["datasets.name LIKE 'name%'", ['hi', 'hi2', 'hi3']],
    ["datasets.digest ILIKE 'DIGEST_'", ['hi', 'hi2', 'hi3']],
    ["datasets.name = 'name1' AND datasets.context = 'train'", ['hi']],
    ["attributes.run_id IN ('hi', 'hi3')", ['hi', 'hi3']],
    ["attributes.run_id NOT IN ('hi', 'hi3')", ['hi2']],
    ["attributes.status LIKE 'FAIL%'", ['hi', 'hi3']],
    ["attributes.status ILIKE 'fail%'", ['hi', 'hi3']],
  ])('%s', (text, expected) => {
    expect(filter(runs, text)).toEqual(expected);
  });

  it('filters by start_time, end_time and user_id (MLflow test_filter_runs_by_*)', () => {
    const rs = ['a', 'b', 'c'].map((id, idx) => run({ runId: id, startTime: idx, endTime: idx, userId: `u${idx}` }));
    expect(filter(rs, 'attribute.start_time >= 0')).toEqual(['a', 'b', 'c']);
    expect(filter(rs, 'attribute.start_time > 1')).toEqual(['c']);
    expect(filter(rs, 'attribute.start_time = 2')).toEqual(['c']);
    expect(filter(rs, 'attribute.created != 2')).toEqual(['a', 'b']);
    expect(filter(rs, 'attribute.end_time < 1')).toEqual(['a']);
    expect(filter(rs, 'attribute.end_time <= 1')).toEqual(['a', 'b']);
    expect(filter(rs, "attribute.user_id = 'u1'")).toEqual(['b']);
  });

  it('a run missing the key or attribute never matches, not even with !=', () => {
    const rs = [run({ runId: 'x', endTime: null, runName: null }), run({ runId: 'y', runName: 'n', endTime: 5 })];
    expect(filter(rs, 'metrics.m != 1')).toEqual([]);
    expect(filter(rs, "params.p != 'a'")).toEqual([]);
    expect(filter(rs, 'attributes.end_time > 0')).toEqual(['y']);
    expect(filter(rs, "attributes.run_name != 'z'")).toEqual(['y']);
    expect(filter(rs, "attributes.`run name` = 'n'")).toEqual(['y']);
  });

  it('IS NULL / IS NOT NULL on tags and params (MLflow test_filter_runs_by_tag_and_param_is_null)', () => {
    const rs = [run({ runId: 'run1', tags: { env: 'prod' } }), run({ runId: 'run2', params: { lr: '0.01' } })];
    expect(filter(rs, 'tags.env IS NOT NULL')).toEqual(['run1']);
    expect(filter(rs, 'tags.env IS NULL')).toEqual(['run2']);
    expect(filter(rs, 'params.lr IS NOT NULL')).toEqual(['run2']);
    expect(filter(rs, 'params.lr IS NULL')).toEqual(['run1']);
  });

  it('NaN metrics compare like Python floats: only != holds', () => {
    const rs = [run({ runId: 'n', metrics: { m: Number.NaN } }), run({ runId: 'i', metrics: { m: Infinity } })];
    expect(filter(rs, 'metrics.m = 0')).toEqual([]);
    expect(filter(rs, 'metrics.m > 0')).toEqual(['i']);
    expect(filter(rs, 'metrics.m < 0')).toEqual([]);
    expect(filter(rs, 'metrics.m != 0')).toEqual(['n', 'i']);
  });

  it('does not read inherited properties as keys', () => {
    expect(filter([run({ runId: 'p' })], "tags.constructor LIKE '%'")).toEqual([]);
  });
});

describe('LIKE / ILIKE', () => {
  it.each([
    ['abc', 'abc', true, true],
    ['abc', 'a%', true, true],
    ['abc', '%c', true, true],
    ['abc', '%b%', true, true],
    ['abc', 'a_c', true, true],
    ['abc', 'a_', false, false],
    ['abc', 'ABC', false, true],
    ['xabc', 'abc', false, false],
    ['abcx', 'abc', false, false],
    ['jamie-foo C+W bar', 'jamie-foo C+%', true, true],
    ['a.c', 'a.c', true, true],
    ['abc', 'a.c', false, false],
    ['line1\nline2', 'line1%', true, true],
    ['(x)', '(x)', true, true],
  ])('%s vs %s', (value, pattern, likeResult, ilikeResult) => {
    expect(like(value, pattern)).toBe(likeResult);
    expect(ilike(value, pattern)).toBe(ilikeResult);
  });

  it('is case-sensitive for LIKE and insensitive for ILIKE in filters', () => {
    const rs = [run({ runId: 'a', params: { model: 'LinearRegression' } })];
    expect(filter(rs, "params.model LIKE 'linear%'")).toEqual([]);
    expect(filter(rs, "params.model ILIKE 'linear%'")).toEqual(['a']);
    expect(filter(rs, "params.model LIKE '%Regress_on'")).toEqual(['a']);
  });
});

describe('parseOrderBy and compareRuns (cases from MLflow test_correct_sorting)', () => {
  const runs = [
    run({ runId: '9', status: 'FAILED', startTime: 0, metrics: { key1: 121 }, params: { my_param: 'A' } }),
    run({
      runId: '8',
      status: 'FINISHED',
      startTime: 1,
      metrics: { key1: 123 },
      params: { my_param: 'A' },
      tags: { tag1: 'C' },
    }),
    run({
      runId: '7',
      status: 'FAILED',
      startTime: 1,
      metrics: { key1: 125 },
      params: { my_param: 'B' },
      tags: { tag1: 'D' },
    }),
  ];
  const sorted = (orderBy: string[] | undefined): number[] => {
    const keys = parseOrderBy(orderBy);
    return [...runs].sort((a, b) => compareRuns(a, b, keys)).map((r) => runs.indexOf(r));
  };

  it.each([
    [undefined, [2, 1, 0]],
    [[], [2, 1, 0]],
    [['tags.noSuchTag'], [2, 1, 0]],
    [['attributes.status'], [2, 0, 1]],
    [['attributes.start_time'], [0, 2, 1]],
    [['metrics.key1 asc'], [0, 1, 2]],
    [['metrics."key1"  desc'], [2, 1, 0]],
    [['params.my_param'], [1, 0, 2]],
    [['params.my_param aSc', 'attributes.status  ASC'], [0, 1, 2]],
    [['params.my_param', 'attributes.status DESC'], [1, 0, 2]],
    [['params.my_param DESC', 'attributes.status   DESC'], [2, 1, 0]],
    [['params.`my_param` DESC', 'attributes.status DESC'], [2, 1, 0]],
    [['tags.tag1'], [1, 2, 0]],
    [['tags.tag1    DESC'], [2, 1, 0]],
    [['attributes.created DESC'], [2, 1, 0]],
  ])('%j', (orderBy, expected) => {
    expect(sorted(orderBy)).toEqual(expected);
  });

  it('puts NaN then missing last in both directions (MLflow test_order_by_metric_with_nans_infs_nones)', () => {
    const vals = ['nan', 'inf', '-inf', '-1000', '0', '1000', 'None'];
    const rs = vals.map((x) =>
      run({ runId: x, metrics: x === 'None' ? {} : { x: x === 'nan' ? NaN : Number(x.replace('inf', 'Infinity')) } }),
    );
    const order = (item: string): string[] => {
      const keys = parseOrderBy([item]);
      return [...rs].sort((a, b) => compareRuns(a, b, keys)).map((r) => r.runId);
    };
    expect(order('metrics.x asc')).toEqual(['-inf', '-1000', '0', '1000', 'inf', 'nan', 'None']);
    expect(order('metrics.x desc')).toEqual(['inf', '1000', '0', '-1000', '-inf', 'nan', 'None']);
  });

  it('breaks ties by start_time DESC then run_id ASC', () => {
    const rs = [
      run({ runId: 'b', startTime: 5, metrics: { m: 1 } }),
      run({ runId: 'a', startTime: 5, metrics: { m: 1 } }),
      run({ runId: 'c', startTime: 9, metrics: { m: 1 } }),
      run({ runId: 'd', startTime: 1, metrics: { m: 0 } }),
    ];
    const keys = parseOrderBy(['metrics.m DESC']);
    expect([...rs].sort((x, y) => compareRuns(x, y, keys)).map((r) => r.runId)).toEqual(['c', 'a', 'b', 'd']);
    expect([...rs].sort((x, y) => compareRuns(x, y)).map((r) => r.runId)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('orders missing attributes last (end_time of a running run)', () => {
    const rs = [run({ runId: 'r', endTime: null }), run({ runId: 'f', endTime: 3 }), run({ runId: 'g', endTime: 7 })];
    for (const dir of ['ASC', 'DESC']) {
      const keys = parseOrderBy([`attributes.end_time ${dir}`]);
      const ids = [...rs].sort((x, y) => compareRuns(x, y, keys)).map((r) => r.runId);
      expect(ids).toEqual(dir === 'ASC' ? ['f', 'g', 'r'] : ['g', 'f', 'r']);
    }
  });

  it('parses keys, quoting and direction', () => {
    expect(parseOrderBy(['metrics.`Mean Square Error`', 'metrics.`Mean Square Error` DESC', 'start_time'])).toEqual([
      { type: 'metric', key: 'Mean Square Error', ascending: true },
      { type: 'metric', key: 'Mean Square Error', ascending: false },
      { type: 'attribute', key: 'start_time', ascending: true },
    ]);
    expect(parseOrderBy(['tags.mlflow.runName desc'])).toEqual([{ type: 'tag', key: 'mlflow.runName', ascending: false }]);
  });

  // MLflow test_invalid_order_by_search_runs
  it.each([
    ['m.acc', 'Invalid entity type'],
    ['acc', 'Invalid attribute key'],
    ['attri.x', 'Invalid entity type'],
    ['`metrics.A', 'Invalid order_by clause'],
    ['`metrics.A`', 'Invalid entity type'],
    ['attribute.start', 'Invalid attribute key'],
    ['attribute.experiment_id', 'Invalid attribute key'],
    ["attributes.`run name`", 'Invalid attribute key'],
    ['metrics.A != 1', 'Invalid order_by clause'],
    ['params.my_param ', 'Invalid order_by clause'],
    ['', "Invalid order_by clause ''. Could not be parsed."],
    ['metrics.a desc asc', 'Invalid order_by clause'],
    ['attribute.run_id ACS', "Invalid ordering key in order_by clause 'attribute.run_id ACS'."],
    ['attribute.run_id decs', 'Invalid ordering key'],
    ['datasets.name', "Invalid order_by entity type 'dataset'"],
  ])('rejects %j', (item, message) => {
    expect(errorOf(() => parseOrderBy([item])).message).toContain(message);
  });
});

describe('page tokens (MLflow test_pagination / test_invalid_page_tokens)', () => {
  it('encodes exactly like MLflow create_page_token and round-trips', () => {
    // base64.b64encode(json.dumps({"offset": 2}).encode()) in Python:
    expect(encodePageToken(2)).toBe('eyJvZmZzZXQiOiAyfQ==');
    expect(Buffer.from(encodePageToken(1234), 'base64').toString()).toBe('{"offset": 1234}');
    expect(decodePageToken(encodePageToken(77))).toBe(77);
    expect(decodePageToken(Buffer.from('{"offset":"5"}').toString('base64'))).toBe(5);
    expect(decodePageToken(undefined)).toBe(0);
    expect(decodePageToken('')).toBe(0);
  });

  it.each([
    ['{}', 'Invalid page token, parsed value='],
    ['{"offset": "a"}', 'Invalid page token, not stringable'],
    ['{"offsoot": 7}', 'Invalid page token, parsed value='],
    ['{"offset": 0}', 'Invalid page token, parsed value='],
    ['{"offset": -3}', 'Invalid page token, not stringable'],
    ['{"offset": 1.5}', 'Invalid page token, not stringable'],
    ['[1]', 'Invalid page token, parsed value='],
    ['not json', 'Invalid page token, decoded value=not json'],
  ])('rejects %s', (json, message) => {
    const err = errorOf(() => decodePageToken(Buffer.from(json).toString('base64')));
    expect(err.message).toContain(message);
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('rejects text that is not base64', () => {
    expect(errorOf(() => decodePageToken('not base64')).message).toBe('Invalid page token, could not base64-decode');
    expect(errorOf(() => decodePageToken('a$b=')).message).toContain('could not base64-decode');
  });

  it('rejects a negative or fractional offset when encoding', () => {
    expect(errorOf(() => encodePageToken(-1)).message).toContain('Invalid page token');
    expect(errorOf(() => encodePageToken(1.5)).message).toContain('Invalid page token');
  });

  it.each([
    [undefined, 1, [0], 1],
    [undefined, 2, [0, 1], 2],
    [undefined, 3, [0, 1, 2], undefined],
    [undefined, 5, [0, 1, 2], undefined],
    [1, 1, [1], 2],
    [1, 2, [1, 2], undefined],
    [2, 1, [2], undefined],
    [2, 0, [], 2],
    [3, 1, [], undefined],
  ])('paginates from offset %s with max %s', (offset, max, expected, next) => {
    const page = paginate([0, 1, 2], offset === undefined ? undefined : encodePageToken(offset), max);
    expect(page.items).toEqual(expected);
    expect(page.nextPageToken === undefined ? undefined : decodePageToken(page.nextPageToken)).toBe(next);
  });
});

describe('registered model filter', () => {
  const models: ModelForSearch[] = [
    { name: 'Churn', tags: { team: 'growth' } },
    { name: 'churn-v2', tags: { team: 'Risk' } },
    { name: 'fraud', tags: {} },
  ];
  const names = (text: string): string[] =>
    models.filter((m) => matchesModel(m, parseModelFilter(text))).map((m) => m.name);

  it.each([
    ["name = 'Churn'", ['Churn']],
    ["name != 'Churn'", ['churn-v2', 'fraud']],
    ["name LIKE 'churn%'", ['churn-v2']],
    ["name ILIKE 'churn%'", ['Churn', 'churn-v2']],
    ["attribute.name = \"fraud\"", ['fraud']],
    ["tags.team = 'growth'", ['Churn']],
    ["tag.team ILIKE 'risk'", ['churn-v2']],
    ["tags.team != 'growth'", ['churn-v2']],
    ["tags.`team` LIKE '%'", ['Churn', 'churn-v2']],
    ["name ilike '%r%' and tags.team = 'Risk'", ['churn-v2']],
    ['', ['Churn', 'churn-v2', 'fraud']],
  ])('%s', (text, expected) => {
    expect(names(text)).toEqual(expected);
  });

  it('normalises comparators and returns typed clauses', () => {
    expect(parseModelFilter("name like 'a%' and tags.k = 'v'")).toEqual([
      { type: 'attribute', key: 'name', comparator: 'LIKE', value: 'a%' },
      { type: 'tag', key: 'k', comparator: '=', value: 'v' },
    ]);
  });

  it.each([
    ["run_id = 'x'", "Invalid attribute key 'run_id' specified. Valid keys are '{'name'}'"],
    ["attributes.name = 'x'", "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"],
    ["params.x = 'x'", 'Invalid entity type'],
    ['name = 5', 'Expected a quoted string value or a list of quoted string values for attributes. Got value 5'],
    ["name IN ('a')", "Only the 'run_id' attribute supports comparison with a list"],
    ["name > 'a'", 'Invalid comparator'],
    ["tags.x > 'a'", 'Invalid comparator'],
    ['tags.x = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
    ['name = abc', 'value is either not quoted'],
    ["name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string'],
    ['tags.x IS NULL', 'Invalid clause(s) in filter string'],
  ])('rejects %s', (text, message) => {
    expect(errorOf(() => parseModelFilter(text)).message).toContain(message);
  });
});

describe('model version filter', () => {
  const versions: ModelVersionForSearch[] = [
    { name: 'm', version: 1, runId: 'abc', source: 's3://b/1', tags: { stage: 'dev' } },
    { name: 'm', version: 2, runId: 'def', source: 's3://b/2', tags: {} },
    { name: 'other', version: 10, runId: null, source: 'file:///x', tags: { stage: 'prod' } },
  ];
  const ids = (text: string): string[] =>
    versions.filter((v) => matchesModelVersion(v, parseModelVersionFilter(text))).map((v) => `${v.name}/${v.version}`);

  it.each([
    ["name = 'm'", ['m/1', 'm/2']],
    ["name = 'm' AND version_number > 1", ['m/2']],
    ['version_number >= 2', ['m/2', 'other/10']],
    ['version_number = 10', ['other/10']],
    ["version_number = '2'", ['m/2']],
    ['version_number != 1', ['m/2', 'other/10']],
    ['version_number < 2', ['m/1']],
    ['version_number <= 2', ['m/1', 'm/2']],
    ["run_id = 'abc'", ['m/1']],
    ["run_id != 'abc'", ['m/2']],
    ["run_id IN ('abc', 'def', 'ABC')", ['m/1', 'm/2']],
    ["source_path LIKE 's3://%'", ['m/1', 'm/2']],
    ["source_path ILIKE 'FILE%'", ['other/10']],
    ["tags.stage = 'prod'", ['other/10']],
    ["tags.stage != 'prod'", ['m/1']],
    ["name ILIKE 'M'", ['m/1', 'm/2']],
  ])('%s', (text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  it.each([
    ["run_id NOT IN ('a')", "Invalid comparator 'NOT IN' not one of '{'!=', '=', 'ILIKE', 'IN', 'LIKE'}'"],
    ["name IN ('m')", "Only the 'run_id' attribute supports comparison with a list"],
    ['name = 3', "Only the '{'creation_timestamp', 'last_updated_timestamp', 'version_number'}' attributes support"],
    ["version_number LIKE '1'", 'Invalid comparator'],
    ["version_number = 'one'", 'Expected an integer value for version_number'],
    ["stage = 'x'", 'Invalid attribute key'],
    ["current_stage = 'x'", 'Invalid attribute key'],
    ["metrics.x = 'y'", 'Invalid entity type'],
  ])('rejects %s', (text, message) => {
    expect(errorOf(() => parseModelVersionFilter(text)).message).toContain(message);
  });
});
