export type Role = 'user' | 'admin';

/** The signed-in caller, as the access-token guard resolves it (from Redis, with PostgreSQL as the backup). */
export interface AuthUser {
  id: string;
  sessionId: string;
  role: Role;
}
