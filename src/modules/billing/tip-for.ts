import { isUuid } from './stripe/stripe-objects';

/** What a tip is for, as `metadata.tip_for` and `checkout_sessions.tip_for` say it (docs/inbox.md#tips). */
export type TipFor = { kind: 'post'; id: string } | { kind: 'conversation'; id: string };

/** `post:<id>` or `conversation:<id>`. */
export const tipForValue = (target: TipFor): string => `${target.kind}:${target.id}`;

/** `post:<uuid>` or `conversation:<uuid>`, else null. */
export function parseTipFor(value: string | null | undefined): TipFor | null {
  const match = /^(post|conversation):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(value ?? '');
  return match ? { kind: match[1] as TipFor['kind'], id: match[2].toLowerCase() } : null;
}

/** Who tipped whom, for what, as a tip's metadata says it (`tip_for`, `creator_id`; set at checkout); null when it does not. */
export function tipOf(
  metadata: Record<string, string> | null | undefined,
  tipperId: string | null | undefined,
): { target: TipFor; tipperId: string; creatorId: string } | null {
  const target = parseTipFor(metadata?.tip_for);
  const creatorId = metadata?.creator_id;
  if (!target || !isUuid(tipperId) || !isUuid(creatorId) || tipperId === creatorId) return null;
  return { target, tipperId, creatorId };
}
