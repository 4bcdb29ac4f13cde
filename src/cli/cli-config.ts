import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What `steward login` stores: the server URL and a token, in a file only the user can read. */
export interface SavedLogin {
  server: string;
  token: string;
}

export async function readSavedLogin(file: string): Promise<Partial<SavedLogin>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<SavedLogin>;
    return { server: typeof v.server === 'string' ? v.server : undefined, token: typeof v.token === 'string' ? v.token : undefined };
  } catch {
    throw new Error(`${file} is not valid JSON; run 'steward login' again`);
  }
}

export async function saveLogin(file: string, login: SavedLogin): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
