import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { KnownClients } from '@/common/rate-limit/known-clients';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '@/common/security/password';
import { VerificationMailer } from '@/modules/accounts/tokens/verification-mailer.service';
import { ReferralsService } from '@/modules/referrals/referrals.service';
import { toOwnUserResponse } from '@/modules/users/dto/user.response';
import { User } from '@/modules/users/entities/user.entity';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AuthErrors } from './auth.errors';
import { AuthResponse, LoginDto, LogoutDto, RegisterDto, SessionListResponse, TokenPairResponse } from './dto/auth.dto';
import { ClientInfo, SessionsService } from './sessions.service';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly users: UserAccountsService,
    private readonly sessions: SessionsService,
    private readonly referrals: ReferralsService,
    private readonly verification: VerificationMailer,
    private readonly knownClients: KnownClients,
  ) {}

  /** Account, referral use, verification mail and session in one transaction: a failed registration leaves nothing behind. */
  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResponse> {
    const passwordHash = await hashPassword(dto.password);
    return this.em.fork().transactional(async (em) => {
      const user = await this.users.create(em, {
        username: dto.username,
        email: dto.email,
        passwordHash,
        displayName: dto.display_name,
      });
      if (dto.referral_code !== undefined) await this.referrals.redeem(em, dto.referral_code, user);
      await this.verification.send(em, user, user.email);
      const tokens = await this.sessions.open(em, user, client);
      return { user: toOwnUserResponse(user), ...tokens };
    });
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResponse> {
    const user = await this.users.findForLogin(dto.login);
    const valid = user?.passwordHash ? await verifyPassword(user.passwordHash, dto.password) : await verifyAgainstDummy(dto.password);
    if (!user || !valid) throw AuthErrors.invalidCredentials();
    if (user.suspendedAt) throw AuthErrors.suspended();
    return this.signIn(user, client);
  }

  /**
   * Opens a session for an already authenticated user (password or Google). Its address and device become known to
   * the login limits (KnownClients): failed sign-ins from anywhere else no longer lock it out.
   */
  async signIn(user: User, client: ClientInfo): Promise<AuthResponse> {
    const tokens = await this.em.fork().transactional((em) => this.sessions.open(em, em.merge(user), client));
    if (client.ip !== undefined) {
      // Signed in already: a Redis outage leaves the device unknown (the stricter budget), logged, not a failed sign-in.
      await this.knownClients
        .remember(user.id, { ip: client.ip, userAgent: client.userAgent })
        .catch((error: Error) => this.logger.warn(`known client not recorded: ${error.message}`));
    }
    return { user: toOwnUserResponse(user), ...tokens };
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPairResponse> {
    const tokens = await this.sessions.rotate(refreshToken, client);
    if (!tokens) throw AuthErrors.invalidRefreshToken();
    return tokens;
  }

  /** Ends the caller's session, and the session of `refresh_token` when it is the caller's too. */
  async logout(actor: AuthUser | undefined, dto: LogoutDto): Promise<void> {
    const ids = new Set<string>();
    if (actor) ids.add(actor.sessionId);
    const named = dto.refresh_token ? this.sessions.sessionIdOf(dto.refresh_token) : undefined;
    if (named && (await this.sessions.ownedBy(named, dto.refresh_token!, actor?.id))) ids.add(named);
    if (!ids.size) throw AuthErrors.invalidRefreshToken();
    await this.sessions.revoke([...ids], 'logout');
  }

  async listSessions(actor: AuthUser): Promise<SessionListResponse> {
    const sessions = await this.sessions.list(actor.id);
    return {
      data: sessions.map((s) => ({
        id: s.id,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt?.toISOString() ?? null,
        user_agent: s.userAgent ?? null,
        ip: s.ip ?? null,
        current: s.id === actor.sessionId,
      })),
    };
  }

  async revokeSession(actor: AuthUser, sessionId: string): Promise<void> {
    const owned = (await this.sessions.list(actor.id)).some((s) => s.id === sessionId);
    if (!owned) throw AuthErrors.sessionNotFound();
    await this.sessions.revoke([sessionId], 'revoked');
  }
}
