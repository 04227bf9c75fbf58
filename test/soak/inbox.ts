import { randomBytes } from 'node:crypto';
import { Actor } from '../load/workload';
import { HttpClient, RawResponse } from '../support/http-client';
import { sign, stripeEvent, WEBHOOK_PATH } from '../support/stripe-events';
import { StripeObject, StripeTestServer } from '../support/stripe-server';

/**
 * The soak's inbox traffic (docs/inbox.md): messages and paid messages in conversations between the soak's users,
 * reads racing the sends, unsends, purchases of paid messages through `POST /messages/:id/unlock` and the local Stripe
 * server's checkout completion, and (when the build has `POST /messages/mass`) mass messages to the premium creator's
 * subscribers. It remembers what the invariants need: each side's read position, each purchase, each mass message.
 *
 * Two rules keep "unread counts equal unread rows" exactly checkable under concurrency:
 * - sends to one side of a conversation go one at a time (the next starts once the last was answered), so a send in
 *   flight is always newer than every answered message to that side;
 * - a read names `up_to_id`, one of the answered messages to the reader, and a side has one read in flight at most; a
 *   read that was not answered 204 is sent again after the traffic (`finish`), so each side's position is known: the
 *   last `up_to_id` it read up to (none: never read).
 */

const API = '/api/v1';
const TIMEOUT_MS = 30_000;
const PRICE_CENTS = 300;
/** Mass messages the premium creator sends at most in one run (each reaches every subscriber). */
const MASS_MESSAGES = 3;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

export type InboxKind = 'message' | 'paid_message' | 'message_read' | 'message_page' | 'message_unlock' | 'message_unsend' | 'mass_message';
export const INBOX_WEIGHTS: Record<InboxKind, number> = { message: 8, paid_message: 3, message_read: 5, message_page: 3, message_unlock: 3, message_unsend: 1, mass_message: 1 };

interface Side {
  conversationId: string;
  recipient: Actor;
  sender: Actor;
  /** A send to this side is in flight. */
  sending: boolean;
  reading: boolean;
  /** Answered messages to this side, oldest first. */
  received: string[];
  /** The last read's `up_to_id` and whether it was answered 204. */
  read?: { upTo: string; confirmed: boolean };
}

export interface Purchase {
  messageId: string;
  conversationId: string;
  buyerId: string;
  senderId: string;
  sessionId: string;
  /** The `checkout.session.completed` event, delivered at least once by `finish`. */
  event: StripeObject;
  delivered: boolean;
}

export class InboxTraffic {
  private readonly sides: Side[] = [];
  /** Paid messages answered 201, not bought yet: [message, side]. */
  private readonly forSale: { messageId: string; side: Side }[] = [];
  /** Free messages answered 201 that may be unsent: [message, sender]. */
  private readonly unsendable: { messageId: string; sender: Actor }[] = [];
  readonly purchases: Purchase[] = [];
  readonly massMessages: string[] = [];
  massRoute = false;
  private massBusy = false;

  constructor(
    private readonly client: HttpClient,
    private readonly actors: Actor[],
    private readonly stripe: StripeTestServer,
    private readonly premiumCreator: Actor,
  ) {}

  /**
   * Conversations between the soak's users: each opens one with the next two (a ring), so every user has four. The
   * recipient's side is a request unless they follow the starter; either way it counts (docs/inbox.md).
   */
  async prepare(): Promise<void> {
    const openapi = await this.client.json('GET', '/docs-json');
    this.massRoute = !!(openapi.body as { paths?: Record<string, unknown> } | undefined)?.paths?.[`${API}/messages/mass`];
    const n = this.actors.length;
    for (let i = 0; i < n; i++) {
      for (const step of [1, 2]) {
        const [a, b] = [this.actors[i], this.actors[(i + step) % n]];
        if (a.id === b.id) continue;
        const res = await this.client.json('POST', `${API}/conversations`, { username: b.username }, a.accessToken, { timeoutMs: TIMEOUT_MS });
        if (res.status !== 201 && res.status !== 200) throw new Error(`POST /conversations answered ${res.status}: ${res.text.slice(0, 300)}`);
        const id = (res.body as { id: string }).id;
        if (this.sides.some((s) => s.conversationId === id)) continue;
        for (const [recipient, sender] of [
          [b, a],
          [a, b],
        ]) {
          this.sides.push({ conversationId: id, recipient, sender, sending: false, reading: false, received: [] });
        }
      }
    }
  }

  /** One inbox request of `kind`; a kind with nothing to do now (everything busy, nothing for sale) reads a page instead. */
  async step(kind: InboxKind): Promise<{ kind: InboxKind; res: RawResponse }> {
    switch (kind) {
      case 'message':
      case 'paid_message': {
        const side = this.free((s) => !s.sending);
        if (!side) break;
        return { kind, res: await this.send(side, kind === 'paid_message') };
      }
      case 'message_read': {
        const side = this.free((s) => !s.reading && s.received.length > 0);
        if (!side) break;
        return { kind, res: await this.read(side) };
      }
      case 'message_unlock': {
        // One in four: Stripe delivers a purchase's completion again (late, maybe while the first is being applied).
        if (this.purchases.length && Math.random() < 0.25) {
          const again = pick(this.purchases);
          return { kind, res: await this.deliver(again) };
        }
        if (!this.forSale.length) break;
        return { kind, res: await this.buy(this.forSale.splice(Math.floor(Math.random() * this.forSale.length), 1)[0]) };
      }
      case 'message_unsend': {
        if (!this.unsendable.length) break;
        const { messageId, sender } = this.unsendable.splice(Math.floor(Math.random() * this.unsendable.length), 1)[0];
        return { kind, res: await this.client.json('DELETE', `${API}/messages/${messageId}`, undefined, sender.accessToken, { timeoutMs: TIMEOUT_MS }) };
      }
      case 'mass_message': {
        if (!this.massRoute || this.massBusy || this.massMessages.length >= MASS_MESSAGES) break;
        this.massBusy = true;
        try {
          const res = await this.client.json(
            'POST',
            `${API}/messages/mass`,
            { content: `to every subscriber ${randomBytes(4).toString('hex')}`, audience: { include: ['subscribers'] } },
            this.premiumCreator.accessToken,
            { timeoutMs: TIMEOUT_MS },
          );
          if (res.status === 202) this.massMessages.push((res.body as { id: string }).id);
          return { kind, res };
        } finally {
          this.massBusy = false;
        }
      }
      case 'message_page':
        break;
    }
    const side = pick(this.sides);
    return { kind: 'message_page', res: await this.client.json('GET', `${API}/conversations/${side.conversationId}/messages`, undefined, side.recipient.accessToken, { timeoutMs: TIMEOUT_MS }) };
  }

  private free(ok: (s: Side) => boolean): Side | undefined {
    const candidates = this.sides.filter(ok);
    return candidates.length ? pick(candidates) : undefined;
  }

  private async send(side: Side, paid: boolean): Promise<RawResponse> {
    side.sending = true;
    try {
      const body = paid ? { content: `paid ${randomBytes(4).toString('hex')}`, price_cents: PRICE_CENTS, preview: 'a paid one' } : { content: `hi ${randomBytes(4).toString('hex')}` };
      const res = await this.client.json('POST', `${API}/conversations/${side.conversationId}/messages`, body, side.sender.accessToken, { timeoutMs: TIMEOUT_MS });
      if (res.status === 201) {
        const id = (res.body as { id: string }).id;
        side.received.push(id);
        if (paid) this.forSale.push({ messageId: id, side });
        else this.unsendable.push({ messageId: id, sender: side.sender });
      }
      return res;
    } finally {
      side.sending = false;
    }
  }

  /** Reads up to one of the last few messages the reader received (not always the newest: some stay unread). */
  private async read(side: Side): Promise<RawResponse> {
    side.reading = true;
    const upTo = side.received[Math.max(0, side.received.length - 1 - Math.floor(Math.random() * 3))];
    side.read = { upTo, confirmed: false };
    try {
      const res = await this.client.json('POST', `${API}/conversations/${side.conversationId}/read`, { up_to_id: upTo }, side.recipient.accessToken, { timeoutMs: TIMEOUT_MS });
      if (res.status === 204 && side.read.upTo === upTo) side.read.confirmed = true;
      return res;
    } finally {
      side.reading = false;
    }
  }

  /** Buys a paid message as its recipient: the checkout, Stripe completes it, its event delivered to the webhook. */
  private async buy(item: { messageId: string; side: Side }): Promise<RawResponse> {
    const { messageId, side } = item;
    const res = await this.client.json('POST', `${API}/messages/${messageId}/unlock`, undefined, side.recipient.accessToken, { timeoutMs: TIMEOUT_MS });
    if (res.status !== 201) {
      // Not started (a fault): for sale again.
      if (res.status >= 500 || res.status === 0) this.forSale.push(item);
      return res;
    }
    const sessionId = (res.body as { checkout_session_id: string }).checkout_session_id;
    const { session } = this.stripe.completeCheckout(sessionId);
    const purchase: Purchase = {
      messageId,
      conversationId: side.conversationId,
      buyerId: side.recipient.id,
      senderId: side.sender.id,
      sessionId,
      event: stripeEvent('checkout.session.completed', session),
      delivered: false,
    };
    this.purchases.push(purchase);
    // Stripe keeps the event (reconciliation's `events.list` finds it).
    this.stripe.balance.publish(purchase.event);
    return this.deliver(purchase);
  }

  private async deliver(purchase: Purchase): Promise<RawResponse> {
    const { payload, signature } = sign(purchase.event);
    const res = await this.client.send({
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body: payload,
      timeoutMs: TIMEOUT_MS,
    });
    if (res.status === 200) purchase.delivered = true;
    return res;
  }

  /**
   * After the traffic: every purchase's completion delivered (Stripe retries until the endpoint takes it), every read
   * not answered 204 sent again (so each side's position is its last `up_to_id`). Answers how many were sent again.
   */
  async finish(): Promise<{ deliveries: number; reads: number }> {
    let deliveries = 0;
    let reads = 0;
    const retry = async (send: () => Promise<RawResponse | undefined>, ok: number) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await send().catch(() => undefined);
        if (res?.status === ok) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    for (const purchase of this.purchases.filter((p) => !p.delivered)) {
      deliveries++;
      await retry(() => this.deliver(purchase), 200);
    }
    for (const side of this.sides.filter((s) => s.read && !s.read.confirmed)) {
      reads++;
      const upTo = side.read!.upTo;
      await retry(() => this.client.json('POST', `${API}/conversations/${side.conversationId}/read`, { up_to_id: upTo }, side.recipient.accessToken, { timeoutMs: TIMEOUT_MS }), 204);
    }
    return { deliveries, reads };
  }

  /** Each side's read position: (conversation, reader, up_to_id) for the sides read at least once. */
  positions(): { conversationId: string; userId: string; upToId: string }[] {
    return this.sides.filter((s) => s.read).map((s) => ({ conversationId: s.conversationId, userId: s.recipient.id, upToId: s.read!.upTo }));
  }

  /** Whether the buyer sees the bought message's content (one page of 1, keyed just above the message). */
  async buyerSees(purchase: Purchase, createdAt: Date): Promise<boolean> {
    const buyer = this.actors.find((a) => a.id === purchase.buyerId)!;
    const cursor = Buffer.from(`${new Date(createdAt.getTime() + 1).toISOString()}|${purchase.messageId}`).toString('base64url');
    const res = await this.client.json('GET', `${API}/conversations/${purchase.conversationId}/messages?limit=100&cursor=${cursor}`, undefined, buyer.accessToken, {
      timeoutMs: TIMEOUT_MS,
    });
    const seen = ((res.body as { data?: { id: string; locked: boolean; content: string | null }[] } | undefined)?.data ?? []).find((m) => m.id === purchase.messageId);
    return res.status === 200 && !!seen && !seen.locked && seen.content !== null;
  }
}
