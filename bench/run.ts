/**
 * `npm run bench -- <name>`: runs one benchmark. Each prints a readable table and ends with one JSON line
 * {"bench":"<name>","figures":{...}}.
 */
const BENCHES: Record<string, () => Promise<void>> = {
  registry: async () => (await import('./registry.bench.js')).main(),
  datasets: async () => (await import('./datasets.bench.js')).main(),
  serving: async () => (await import('./serving.bench.js')).main(),
  shadow: async () => (await import('./shadow.bench.js')).main(),
  trees: async () => (await import('./trees.bench.js')).main(),
  drift: async () => (await import('./drift.bench.js')).main(),
  shap: async () => (await import('./shap.bench.js')).main(),
  tracking: async () => (await import('./tracking.bench.js')).main(),
  train: async () => (await import('./train.bench.js')).main(),
};

const name = process.argv[2];
const run = name ? BENCHES[name] : undefined;
if (!run) {
  process.stderr.write(`usage: npm run bench -- <name>\nbenchmarks: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
await run();
