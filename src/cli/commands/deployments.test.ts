/** The deploy/predict flag parsing of the CLI, and the routing of `--version` to a command that owns it. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { routeCommandVersion } from '../argv.js';
import { UsageError } from '../context.js';
import { deployBody, formatPrediction, parseBatch, parseCanary, parseShadow, predictPayload } from './deployments.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('deploy flags', () => {
  it('parses canaries with a version or an alias', () => {
    expect(parseCanary('houses:3:10')).toEqual({ model: 'houses', version: 3, weight: 10 });
    expect(parseCanary('houses:@challenger:25')).toEqual({ model: 'houses', alias: 'challenger', weight: 25 });
  });

  it('says what a canary must look like', () => {
    expect(usageError(() => parseCanary('x'))).toBe("--canary 'x' must be model:version:weight (or model:@alias:weight), e.g. houses:3:10");
    for (const bad of ['houses:3', 'houses:3:10:1', 'houses:0:10', 'houses:v3:10', 'houses:@:10', ':3:10', 'ho/uses:3:10']) {
      expect(usageError(() => parseCanary(bad))).toMatch(/must be model:version:weight/);
    }
    for (const bad of ['houses:3:0', 'houses:3:100', 'houses:3:ten', 'houses:3:1.5', 'houses:3:']) {
      expect(usageError(() => parseCanary(bad))).toMatch(/the weight must be a whole percentage from 1 to 99/);
    }
  });

  it('parses shadows and says what they must look like', () => {
    expect(parseShadow('houses:4')).toEqual({ model: 'houses', version: 4 });
    expect(parseShadow('houses:@next')).toEqual({ model: 'houses', alias: 'next' });
    expect(usageError(() => parseShadow('houses:4:10'))).toBe("--shadow 'houses:4:10' must be model:version (or model:@alias), e.g. houses:4");
    expect(usageError(() => parseShadow('houses'))).toMatch(/must be model:version/);
  });

  it('parses --batch with and without the delay', () => {
    expect(parseBatch('64,2000')).toEqual({ maxBatchSize: 64, maxDelayMicros: 2000 });
    expect(parseBatch('8')).toEqual({ maxBatchSize: 8 });
    expect(usageError(() => parseBatch('64;2000'))).toMatch(/--batch '64;2000' must be maxBatchSize\[,maxDelayMicros\]/);
    expect(usageError(() => parseBatch('0,10'))).toMatch(/batch size must be from 1 to 100000/);
    expect(usageError(() => parseBatch('4,2000000'))).toMatch(/delay must be from 0 to 1000000/);
  });

  it('gives the main target what the canaries leave', () => {
    expect(deployBody({ model: 'houses', version: '1', canary: ['houses:2:10', 'houses:@next:5'], shadow: ['houses:3'], batch: '32,500', public: true, timeoutMs: '2000', maxQueue: '10', comment: 'try 2' })).toEqual({
      targets: [
        { model: 'houses', version: 1, weight: 85 },
        { model: 'houses', version: 2, weight: 10 },
        { model: 'houses', alias: 'next', weight: 5 },
      ],
      shadow: [{ model: 'houses', version: 3 }],
      batching: { maxBatchSize: 32, maxDelayMicros: 500 },
      public: true,
      timeoutMs: 2000,
      maxQueue: 10,
      comment: 'try 2',
    });
    // Only what was given: the server's defaults apply to the rest.
    expect(deployBody({ model: 'houses', alias: '@champion' })).toEqual({ targets: [{ model: 'houses', alias: 'champion', weight: 100 }] });
    expect(deployBody({ model: 'houses', alias: 'champion' })).toEqual({ targets: [{ model: 'houses', alias: 'champion', weight: 100 }] });
  });

  it('refuses bad combinations before calling the server', () => {
    expect(usageError(() => deployBody({ model: 'houses' }))).toBe('give exactly one of --version and --alias for the main target');
    expect(usageError(() => deployBody({ model: 'houses', version: '1', alias: 'a' }))).toBe('give exactly one of --version and --alias for the main target');
    expect(usageError(() => deployBody({ model: 'houses', version: 'two' }))).toBe("--version 'two' must be a version number");
    expect(usageError(() => deployBody({ model: 'houses', version: '' }))).toBe("--version '' must be a version number");
    expect(usageError(() => deployBody({ model: 'houses', alias: 'a b' }))).toBe("--alias 'a b' is not an alias name");
    expect(usageError(() => deployBody({ model: 'my model', version: '1' }))).toBe("--model 'my model' is not a model name");
    expect(usageError(() => deployBody({ model: 'houses', version: '1', canary: ['houses:2:60', 'houses:3:40'] }))).toMatch(/the --canary weights add up to 100%/);
    expect(usageError(() => deployBody({ model: 'houses', version: '1', canary: ['houses:2'] }))).toMatch(/--canary 'houses:2' must be model:version:weight/);
    expect(usageError(() => deployBody({ model: 'houses', version: '1', timeoutMs: '0' }))).toBe("--timeout-ms '0' must be a whole number from 1 to 600000");
    expect(usageError(() => deployBody({ model: 'houses', version: '1', maxQueue: 'lots' }))).toMatch(/--max-queue 'lots' must be a whole number/);
  });
});

describe('prediction files', () => {
  it('sends CSV as it is, and JSON rows, {rows} or {columns} as rows or columns', () => {
    expect(predictPayload('a.csv', 'f0,f1\n1,2\n')).toEqual({ kind: 'csv', text: 'f0,f1\n1,2\n' });
    expect(predictPayload('a.csv', '\uFEFFf0\n1\n')).toEqual({ kind: 'csv', text: 'f0\n1\n' });
    expect(predictPayload('a.json', '[{"f0":1}]')).toEqual({ kind: 'json', body: { rows: [{ f0: 1 }] } });
    expect(predictPayload('a.json', '{"rows":[{"f0":1}]}')).toEqual({ kind: 'json', body: { rows: [{ f0: 1 }] } });
    expect(predictPayload('a.json', '{"columns":{"f0":[1,2]}}')).toEqual({ kind: 'json', body: { columns: { f0: [1, 2] } } });
  });

  it('tells JSON from CSV by --format, the extension, then the content', () => {
    expect(predictPayload('(stdin)', '  [{"f0":1}]').kind).toBe('json');
    expect(predictPayload('(stdin)', 'f0\n1').kind).toBe('csv');
    expect(predictPayload('rows.txt', '{"rows":[{"f0":1}]}').kind).toBe('json');
    expect(predictPayload('rows.json', '[{"f0":1}]', 'csv').kind).toBe('csv');
    expect(usageError(() => predictPayload('rows.json', '[]', 'xml'))).toBe("--format must be csv or json, not 'xml'");
  });

  it('says what is wrong with a JSON file', () => {
    expect(usageError(() => predictPayload('r.json', '{"rows":'))).toMatch(/^r\.json: not valid JSON/);
    expect(usageError(() => predictPayload('r.json', '[]'))).toBe('r.json has no rows');
    expect(usageError(() => predictPayload('r.json', '{"data":[]}'))).toMatch(/r\.json must hold an array of rows/);
    expect(usageError(() => predictPayload('r.json', '{"rows":[],"columns":{}}'))).toMatch(/must hold an array of rows/);
    expect(usageError(() => predictPayload('r.json', '3'))).toMatch(/must hold an array of rows/);
    expect(usageError(() => predictPayload('r.csv', ' \n'))).toBe('r.csv is empty');
  });

  it('prints numbers and arrays of probabilities compactly', () => {
    expect(formatPrediction(0.08819812536239624)).toBe('0.0881981');
    expect(formatPrediction(3)).toBe('3');
    expect(formatPrediction([0.123456, 0.8, 0.076544])).toBe('[0.123, 0.8, 0.0765]');
    expect(formatPrediction('setosa')).toBe('setosa');
    expect(formatPrediction(null)).toBe('null');
  });
});

describe('--version after a command that has its own', () => {
  const program = () => {
    const p = new Command('steward').version('1.2.3').option('--server <url>').option('--json');
    p.command('deploy <name>').option('--version <n>').option('-m, --comment <text>');
    p.command('models').command('list').option('--limit <n>');
    return p;
  };

  it('goes to the command', () => {
    expect(routeCommandVersion(program(), ['deploy', 'x', '--model', 'm', '--version', '3', '--json'])).toEqual(['deploy', 'x', '--model', 'm', '--version=3', '--json']);
    expect(routeCommandVersion(program(), ['--server', 'deploy', 'deploy', 'x', '--version', '3'])).toEqual(['--server', 'deploy', 'deploy', 'x', '--version=3']);
    // A missing value reaches the command as an empty one (and is refused there), not as Steward's --version.
    expect(routeCommandVersion(program(), ['deploy', 'x', '--version'])).toEqual(['deploy', 'x', '--version=']);
    // An option's value is left alone, and so is everything after '--'.
    expect(routeCommandVersion(program(), ['deploy', 'x', '-m', '--version', '--', '--version', '2'])).toEqual(['deploy', 'x', '-m', '--version', '--', '--version', '2']);
  });

  it("stays Steward's own elsewhere", () => {
    for (const args of [['--version'], ['--json', '--version'], ['models', 'list', '--version'], ['--version', 'deploy', 'x']]) expect(routeCommandVersion(program(), args)).toEqual(args);
  });

  it('reaches the command through Commander', async () => {
    const p = program().exitOverride();
    let seen: unknown;
    p.commands[0]!.action((_name: string, opts: { version?: string }) => {
      seen = opts.version;
    });
    await p.parseAsync(routeCommandVersion(p, ['deploy', 'x', '--version', '7']), { from: 'user' });
    expect(seen).toBe('7');
  });
});
