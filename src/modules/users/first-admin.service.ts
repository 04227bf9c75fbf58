import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { raw } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { hashPassword } from '@/common/security/password';
import { User } from './entities/user.entity';
import { normalizeEmail } from './user-identity';

/** Any fixed key: processes starting together create the first admin once. */
const FIRST_ADMIN_LOCK_KEY = 0x18_0002;

export interface AdminSeed {
  username?: string;
  email?: string;
  password?: string;
}

@Injectable()
export class FirstAdminService {
  private readonly logger = new Logger('FirstAdmin');

  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
  ) {}

  /**
   * Creates the first admin from `ADMIN_*` when no admin exists. In development, missing values are generated
   * and the password is printed once; in production and tests nothing is invented.
   */
  async ensureFirstAdmin(seed: AdminSeed): Promise<User | undefined> {
    return this.em.fork().transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?)', [FIRST_ADMIN_LOCK_KEY]);
      if (await em.count(User, { role: 'admin' })) return undefined;

      const generate = this.config.env === 'development';
      const username = seed.username ?? (generate ? 'admin' : undefined);
      const email = seed.email ?? (generate ? `${username}@x18.local` : undefined);
      const password = seed.password ?? (generate && !seed.username ? randomBytes(15).toString('base64url') : undefined);
      if (!username || !email || !password) {
        if (this.config.env === 'production') {
          this.logger.warn('no admin account exists: set ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD and restart');
        }
        return undefined;
      }
      const taken = await em.findOne(User, { $or: [{ [raw('lower(username)')]: username.toLowerCase() }, { email: normalizeEmail(email) }] });
      if (taken) {
        this.logger.error(`cannot create the first admin: "${username}" or its email belongs to an existing non-admin account`);
        return undefined;
      }
      const admin = em.create(User, {
        username,
        email: normalizeEmail(email),
        passwordHash: await hashPassword(password),
        displayName: username,
        role: 'admin',
        verified: true,
      });
      await em.flush();
      if (seed.password) {
        this.logger.log(`created the first admin "${username}"`);
      } else {
        // Printed once, on stdout only: it is never stored in clear anywhere.
        process.stdout.write(`\nFirst admin created: username "${username}", password "${password}" (shown once; change it after signing in)\n\n`);
      }
      return admin;
    });
  }
}
