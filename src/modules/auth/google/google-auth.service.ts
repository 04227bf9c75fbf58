import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { RedisService } from '@/common/redis/redis.service';
import { AuthErrors } from '../auth.errors';
import { AuthService } from '../auth.service';
import { AuthResponse } from '../dto/auth.dto';
import { ClientInfo } from '../sessions.service';
import { GoogleAccountsService } from './google-accounts.service';
import { GoogleAuthErrors } from './google-auth.errors';
import { GoogleSignIn } from './google.strategy';
import { isAllowedRedirect } from './redirect-allowlist';

/** The callback's answer: the token pair, or (for a flow begun with `redirect_uri`) where to send the browser. */
export type GoogleOutcome = { tokens: AuthResponse } | { redirectTo: string };

const CODE_TTL_SECONDS = 60;
const CODE = /^[A-Za-z0-9_-]{43}$/;

@Injectable()
export class GoogleAuthService {
  constructor(
    private readonly accounts: GoogleAccountsService,
    private readonly auth: AuthService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /** Signs in (or registers) the Google account; an app that asked for a redirect gets a one-time code instead. */
  async complete(signIn: GoogleSignIn, client: ClientInfo): Promise<GoogleOutcome> {
    // Checked again here: the allow-list may have changed while the user was at Google.
    if (signIn.redirectUri !== null && !isAllowedRedirect(signIn.redirectUri, this.config.google.redirectAllowlist)) {
      throw GoogleAuthErrors.redirectNotAllowed();
    }
    const user = await this.accounts.resolve(signIn);
    if (signIn.redirectUri === null) return { tokens: await this.auth.signIn(user, client) };
    const target = new URL(signIn.redirectUri);
    target.searchParams.set('code', await this.issueCode(user.id));
    return { redirectTo: target.toString() };
  }

  /** The one-time code from the redirect → the token pair, with the session opened for this client. Works once. */
  async exchange(code: string, client: ClientInfo): Promise<AuthResponse> {
    const userId = CODE.test(code) ? await this.redis.client.getdel(this.codeKey(code)) : null;
    const user = userId ? await this.accounts.findUser(userId) : undefined;
    if (!user) throw GoogleAuthErrors.invalidCode();
    if (user.suspendedAt) throw AuthErrors.suspended();
    return this.auth.signIn(user, client);
  }

  /** 256 random bits; Redis keeps only a hash of the code, for 60 seconds. */
  private async issueCode(userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.redis.client.set(this.codeKey(code), userId, 'EX', CODE_TTL_SECONDS);
    return code;
  }

  private codeKey(code: string): string {
    return this.redis.key('google', 'code', createHash('sha256').update(code).digest('base64url'));
  }
}
