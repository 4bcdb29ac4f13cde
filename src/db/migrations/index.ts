import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { migration0001 } from './0001-core.js';
import { migration0002 } from './0002-jobs.js';
import { migration0003 } from './0003-datasets.js';
import { migration0004 } from './0004-lineage.js';
import { migration0005 } from './0005-recipes.js';
import { migration0006 } from './0006-deployments.js';
import { migration0007 } from './0007-monitoring.js';
import { migration0008 } from './0008-explanations.js';
import { migration0009 } from './0009-governance.js';
import { migration0010 } from './0010-tracking.js';
import { migration0011 } from './0011-training.js';

/**
 * Forward-only migrations, applied in name order. Never edit or remove one that has shipped: add a new one.
 */
export function allMigrations(dialect: DialectKind): Record<string, Migration> {
  return {
    '0001-core': migration0001(dialect),
    '0002-jobs': migration0002(dialect),
    '0003-datasets': migration0003(dialect),
    '0004-lineage': migration0004(dialect),
    '0005-recipes': migration0005(dialect),
    '0006-deployments': migration0006(dialect),
    '0007-monitoring': migration0007(dialect),
    '0008-explanations': migration0008(dialect),
    '0009-governance': migration0009(dialect),
    '0010-tracking': migration0010(dialect),
    '0011-training': migration0011(dialect),
  };
}
