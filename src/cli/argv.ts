import type { Command, Option } from 'commander';

function findOption(chain: Command[], arg: string): Option | undefined {
  for (const c of chain) {
    const o = c.options.find((x) => x.long === arg || x.short === arg);
    if (o) return o;
  }
  return undefined;
}

/**
 * Commander reads the program's own options anywhere on the line, so `--version` after a command would print
 * Steward's version even when that command has a `--version <v>` option of its own (`steward deploy price
 * --model m --version 3`). This rewrites such a `--version v` into `--version=v`, a form the program's flag
 * (which takes no value) does not match, so it reaches the command. Before a command, `--version` still
 * prints Steward's version.
 */
export function routeCommandVersion(program: Command, args: string[]): string[] {
  const chain: Command[] = [program];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args;
    if (arg.startsWith('-')) {
      const o = findOption(chain, arg);
      if (o && (o.required || o.optional)) i++;
      continue;
    }
    const current = chain[chain.length - 1]!;
    const sub = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) return args;
    chain.push(sub);
    if (sub.options.some((o) => o.long === '--version')) break;
  }
  if (i >= args.length) return args;
  const out = args.slice(0, i + 1);
  for (let j = i + 1; j < args.length; j++) {
    const arg = args[j]!;
    if (arg === '--') {
      out.push(...args.slice(j));
      break;
    }
    if (arg === '--version') {
      out.push(`--version=${args[j + 1] ?? ''}`);
      j++;
      continue;
    }
    out.push(arg);
    const o = arg.startsWith('-') ? findOption(chain, arg) : undefined;
    if (o && (o.required || o.optional) && j + 1 < args.length) out.push(args[++j]!);
  }
  return out;
}
