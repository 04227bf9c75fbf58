import { Answer, fixture, missing, nowSeconds, StripeObject, stripeError, stripeId } from './stripe-server';

const LINK_TTL_SECONDS = 300;
const clone = <T>(value: T): T => structuredClone(value);

/**
 * Stripe Connect in the local Stripe test server: `POST /v1/accounts` (Express accounts), `GET /v1/accounts/:id` and
 * `POST /v1/account_links`, answered from Stripe's shapes (fixtures/stripe/account.json, account_link.json). The test
 * plays the creator and Stripe with `completeOnboarding`, `updateAccount` and `deauthorize`; a deauthorized account
 * answers `403` to the platform, as Stripe does once the platform's access is revoked.
 */
export class StripeConnectAccounts {
  readonly accounts = new Map<string, StripeObject>();
  /** Every onboarding link asked for, with the parameters it was created with. */
  readonly links: StripeObject[] = [];
  private readonly revoked = new Set<string>();

  /** The accounts still connected to the platform (a transfer's possible destinations). */
  ids(): Set<string> {
    return new Set([...this.accounts.keys()].filter((id) => !this.revoked.has(id)));
  }

  /** The answer for a Connect request, or undefined when the request is not one. */
  answer(method: string, path: string, body: StripeObject): Answer | undefined {
    if (method === 'POST' && path === '/v1/accounts') return [200, this.create(body)];
    if (method === 'POST' && path === '/v1/account_links') return this.link(body);
    const [, id] = /^\/v1\/accounts\/([^/]+)$/.exec(path) ?? [];
    if (method === 'GET' && id) return this.retrieve(id);
    return undefined;
  }

  /** The account as Stripe has it now. */
  account(id: string): StripeObject {
    return clone(this.accounts.get(id)!);
  }

  /** The account Stripe created for this user (`metadata.user_id`), newest first. */
  accountsOf(userId: string): StripeObject[] {
    return [...this.accounts.values()].filter((a) => a.metadata?.user_id === userId).reverse().map(clone);
  }

  /** Stripe's side of an account changing (the creator filling the form, Stripe verifying, a payout bank added). */
  updateAccount(id: string, patch: { charges_enabled?: boolean; payouts_enabled?: boolean; details_submitted?: boolean; currently_due?: string[] }): StripeObject {
    const account = this.accounts.get(id)!;
    const { currently_due, ...flags } = patch;
    Object.assign(account, flags);
    if (currently_due) {
      account.requirements = { ...account.requirements, currently_due, eventually_due: currently_due, disabled_reason: currently_due.length ? 'requirements.past_due' : null };
    }
    const active = account.charges_enabled ? 'active' : 'inactive';
    account.capabilities = { card_payments: active, transfers: active };
    return clone(account);
  }

  /** The creator finished onboarding and Stripe verified them: charges and payouts enabled, nothing due. */
  completeOnboarding(id: string): StripeObject {
    return this.updateAccount(id, { details_submitted: true, charges_enabled: true, payouts_enabled: true, currently_due: [] });
  }

  /** The creator disconnected the platform: its reads of the account fail from now on. */
  deauthorize(id: string): void {
    this.revoked.add(id);
  }

  /** Whether the creator disconnected the platform from this account. */
  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }

  private create(body: StripeObject): StripeObject {
    const base = fixture('account');
    const id = stripeId('acct');
    const account = {
      ...base,
      id,
      type: body.type ?? base.type,
      email: body.email ?? null,
      metadata: body.metadata ?? {},
      created: nowSeconds(),
      external_accounts: { ...base.external_accounts, url: `/v1/accounts/${id}/external_accounts` },
    };
    this.accounts.set(id, account);
    return clone(account);
  }

  private retrieve(id: string): Answer {
    if (this.revoked.has(id)) {
      return stripeError(403, {
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
      });
    }
    const account = this.accounts.get(id);
    return account ? [200, clone(account)] : missing('account', id);
  }

  private link(body: StripeObject): Answer {
    if (!this.accounts.has(body.account) || this.revoked.has(body.account)) return missing('account', body.account);
    if (body.type !== 'account_onboarding' && body.type !== 'account_update') {
      return stripeError(400, { type: 'invalid_request_error', code: 'parameter_invalid', message: `Invalid type: ${body.type}` });
    }
    const created = nowSeconds();
    const link = { ...fixture('account_link'), created, expires_at: created + LINK_TTL_SECONDS, url: `https://connect.stripe.com/setup/e/${body.account}/${stripeId('link')}` };
    this.links.push({ ...body, url: link.url });
    return [200, link];
  }
}
