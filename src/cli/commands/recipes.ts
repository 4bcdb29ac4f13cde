import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RecipeVersionView, RecipeView } from '../../modules/recipes/recipes.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';

const q = (project?: string) => (project ? `?project=${encodeURIComponent(project)}` : '');

/** Steps from a JSON file: either a list of steps or an object with a `steps` list. */
async function readSteps(file: string): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  return Array.isArray(parsed) ? parsed : (parsed as { steps?: unknown })?.steps;
}

function versionText(v: RecipeVersionView): string {
  return `${keyValues([
    ['recipe', v.recipe],
    ['version', v.version],
    ['description', v.description || undefined],
    ['created', `${v.createdAt} by ${v.createdBy}`],
  ])}\n\n${v.steps.map((s, i) => `${i + 1}. ${JSON.stringify(s)}`).join('\n')}`;
}

export function recipesCommand(program: Command): void {
  const recipes = program.command('recipes').description('preparation recipes: versioned steps applied to dataset versions');

  recipes
    .command('create <name> <file>')
    .description('create a recipe from a JSON file of steps')
    .option('-d, --description <text>', 'what it prepares')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, file: string, opts: { description?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const v = await client.json<RecipeVersionView>('POST', '/api/v1/recipes', { name, steps: await readSteps(file), description: opts.description, project: opts.project });
      out.result(v, () => `created recipe '${v.recipe}' version ${v.version}`);
    });

  recipes
    .command('add-version <name> <file>')
    .description('add a version to a recipe from a JSON file of steps')
    .option('-d, --description <text>', 'what changed')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, file: string, opts: { description?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const v = await client.json<RecipeVersionView>('POST', `/api/v1/recipes/${encodeURIComponent(name)}/versions${q(opts.project)}`, { steps: await readSteps(file), description: opts.description });
      out.result(v, () => `recipe '${v.recipe}' is now at version ${v.version}`);
    });

  recipes
    .command('list')
    .description('list recipes')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: { name: string; lastVersion: number; createdAt: string; createdBy: string }[] }>('GET', `/api/v1/recipes${q(opts.project)}`);
      out.result(r, () => (r.items.length === 0 ? 'no recipes' : table(['NAME', 'VERSIONS', 'CREATED', 'BY'], r.items.map((x) => [x.name, x.lastVersion, x.createdAt, x.createdBy]))));
    });

  recipes
    .command('show <name> [version]')
    .description('a recipe version and its steps (default: the newest)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string | undefined, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      if (version !== undefined) {
        const v = await client.json<RecipeVersionView>('GET', `/api/v1/recipes/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}${q(opts.project)}`);
        out.result(v, () => versionText(v));
        return;
      }
      const r = await client.json<RecipeView>('GET', `/api/v1/recipes/${encodeURIComponent(name)}${q(opts.project)}`);
      out.result(r, () => versionText(r.versions[0]!));
    });
}
