/**
 * For the MikroORM CLI (`npx mikro-orm migration:create`, `schema:update --dump`): the same options the app uses.
 * The app itself builds its options in src/common/database/orm-options.ts.
 */
import 'reflect-metadata';
import { loadConfig } from './src/common/config/load-config';
import { buildOrmOptions } from './src/common/database/orm-options';

const config = loadConfig();
const url = config.database.url ?? process.env.MIKRO_ORM_CLIENT_URL;
if (!url) throw new Error('set DATABASE_URL (or MIKRO_ORM_CLIENT_URL) for the MikroORM CLI');

export default buildOrmOptions(config, url);
