import { Migration20261125000000_initial } from './Migration20261125000000_initial';

/** Every migration, in order, in MikroORM's `migrationsList` form (bundled, so no folder scanning at run time). */
export const MIGRATIONS = [{ name: 'Migration20261125000000_initial', class: Migration20261125000000_initial }];
