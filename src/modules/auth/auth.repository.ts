import type { Executor } from '../../db/executor.js';
import type { ApiTokenRow, UserRow } from '../../db/schema.js';

export interface TokenWithUser {
  token: ApiTokenRow;
  user: UserRow;
}

export interface UserRepository {
  count(): Promise<number>;
  insert(row: UserRow): Promise<void>;
  getByName(name: string): Promise<UserRow | undefined>;
  getById(id: string): Promise<UserRow | undefined>;
  list(): Promise<UserRow[]>;
  update(id: string, patch: Partial<Pick<UserRow, 'role' | 'disabled'>>): Promise<void>;
  /**
   * Write-locks the active admins until the transaction ends (a no-op update: row locks on PostgreSQL,
   * the write lock on SQLite) and returns how many there are.
   */
  lockActiveAdmins(): Promise<number>;
}

export interface TokenRepository {
  insert(row: ApiTokenRow): Promise<void>;
  /** The token with this hash and its user, whatever their state (the caller checks). */
  findByHash(hash: string): Promise<TokenWithUser | undefined>;
  getById(id: string): Promise<ApiTokenRow | undefined>;
  listForUser(userId: string): Promise<ApiTokenRow[]>;
  revoke(id: string, at: string): Promise<void>;
  touch(id: string, at: string): Promise<void>;
}

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Executor) {}

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insert(row: UserRow): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  getByName(name: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  }

  getById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('name').execute();
  }

  async update(id: string, patch: Partial<Pick<UserRow, 'role' | 'disabled'>>): Promise<void> {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
  }

  async lockActiveAdmins(): Promise<number> {
    const r = await this.db
      .updateTable('users')
      .set((eb) => ({ role: eb.ref('role') }))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

export class KyselyTokenRepository implements TokenRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: ApiTokenRow): Promise<void> {
    await this.db.insertInto('api_tokens').values(row).execute();
  }

  async findByHash(hash: string): Promise<TokenWithUser | undefined> {
    const token = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    if (!token) return undefined;
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', token.user_id).executeTakeFirstOrThrow();
    return { token, user };
  }

  getById(id: string): Promise<ApiTokenRow | undefined> {
    return this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForUser(userId: string): Promise<ApiTokenRow[]> {
    return this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
