/**
 * Hyperparameter search: the parameter sets of a search's trials, reproducible from its seed.
 * - grid: every combination of the listed values, in order (the last parameter varies fastest);
 * - random: each parameter drawn independently per trial, from its list (uniformly) or its range
 *   (uniform, or log-uniform with `log`; whole-number parameters are rounded).
 */
import { SeededRandom } from '../../ml/gbdt/gbdt-trainer.js';
import { PARAM_RULES, type Algorithm, type Params, type SearchSpec } from './training-spec.js';

export function searchTrials(search: SearchSpec, algorithm: Algorithm): Params[] {
  const names = Object.keys(search.space);
  if (search.method === 'grid') {
    const lists = names.map((n) => {
      const d = search.space[n]!;
      if (!('values' in d)) throw new Error(`grid search needs lists of values; ${n} is a range`);
      return d.values;
    });
    const out: Params[] = [];
    const index = new Array<number>(names.length).fill(0);
    while (out.length < search.trials) {
      const p: Params = {};
      names.forEach((n, i) => (p[n] = lists[i]![index[i]!]!));
      out.push(p);
      let i = names.length - 1;
      while (i >= 0) {
        index[i]!++;
        if (index[i]! < lists[i]!.length) break;
        index[i] = 0;
        i--;
      }
      if (i < 0) break;
    }
    return out;
  }
  const rng = new SeededRandom(search.seed);
  const out: Params[] = [];
  for (let t = 0; t < search.trials; t++) {
    const p: Params = {};
    for (const n of names) {
      const d = search.space[n]!;
      if ('values' in d) {
        p[n] = d.values[Math.min(d.values.length - 1, Math.floor(rng.next() * d.values.length))]!;
        continue;
      }
      const u = rng.next();
      let v = d.log ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))) : d.min + u * (d.max - d.min);
      const rule = PARAM_RULES[algorithm][n]!;
      if (rule.integer) v = Math.round(v);
      else v = Number(v.toPrecision(6));
      p[n] = Math.min(d.max, Math.max(d.min, v));
    }
    out.push(p);
  }
  return out;
}
