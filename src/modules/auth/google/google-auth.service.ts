import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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

interface IssuedCode {
  userId: string;
  challenge: string | null;
}

/** No challenge: no verifier may be sent either. A challenge: the verifier's SHA-256, base64url, must equal it. */
function verifierMatches(challenge: string | null, verifier: string | undefined): boolean {
  if (!challenge) return verifier === undefined;
  if (verifier === undefined) return false;
  const [given, expected] = [Buffer.from(createHash('sha256').update(verifier).digest('base64url')), Buffer.from(challenge)];
  return given.length === expected.length && timingSafeEqual(given, expected);
}
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
    target.searchParams.set('code', await this.issueCode(user.id, signIn.codeChallenge));
    return { redirectTo: target.toString() };
  }

  /**
   * The one-time code from the redirect → the token pair, with the session opened for this client. Works once. A flow
   * begun with `code_challenge` needs the matching `code_verifier` (PKCE, RFC 7636): a code caught on its way to the
   * app (another app registered for the same URL scheme) is worthless without it.
   */
  async exchange(code: string, codeVerifier: string | undefined, client: ClientInfo): Promise<AuthResponse> {
    const stored = CODE.test(code) ? await this.redis.client.getdel(this.codeKey(code)) : null;
    const issued = stored ? (JSON.parse(stored) as IssuedCode) : undefined;
    if (!issued || !verifierMatches(issued.challenge, codeVerifier)) throw GoogleAuthErrors.invalidCode();
    const user = await this.accounts.findUser(issued.userId);
    if (!user) throw GoogleAuthErrors.invalidCode();
    if (user.suspendedAt) throw AuthErrors.suspended();
    return this.auth.signIn(user, client);
  }

  /** 256 random bits; Redis keeps only a hash of the code (with the user and the app's challenge), for 60 seconds. */
  private async issueCode(userId: string, challenge: string | null): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const issued: IssuedCode = { userId, challenge };
    await this.redis.client.set(this.codeKey(code), JSON.stringify(issued), 'EX', CODE_TTL_SECONDS);
    return code;
  }

  private codeKey(code: string): string {
    return this.redis.key('google', 'code', createHash('sha256').update(code).digest('base64url'));
  }
}
