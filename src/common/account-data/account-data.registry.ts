import { Global, Injectable, Module } from '@nestjs/common';
import { Readable } from 'node:stream';

/** Where a module writes its part of a data export (a ZIP being streamed). */
export interface ExportSink {
  /** A JSON array file, written as the items come (keyset pages), never held whole. */
  json(name: string, items: AsyncIterable<unknown>): void;
  /** A file whose bytes are opened only when the archive reaches it. */
  file(name: string, open: () => Promise<Readable>): void;
}

/**
 * A module's part in deleting and exporting an account. The module owns its tables, so it does the work; the
 * account lifecycle only calls it. `eraseBatch` removes one bounded batch (a few hundred rows, one short transaction)
 * and answers how many rows it removed: 0 means nothing is left. It must be safe to call again after a crash.
 */
export interface AccountDataPart {
  name: string;
  /** Erasure runs parts in ascending order (e.g. posts before the media files their deletion detaches). */
  order: number;
  /** First, once, before any erasure (e.g. ending Stripe subscriptions); must be idempotent (retried on failure). */
  onDeleted?(userId: string): Promise<void>;
  eraseBatch?(userId: string): Promise<number>;
  export?(userId: string, sink: ExportSink): void | Promise<void>;
}

/** Modules register their part at start-up (`onModuleInit`), so the account lifecycle imports none of them. */
@Injectable()
export class AccountDataRegistry {
  private readonly parts: AccountDataPart[] = [];

  register(part: AccountDataPart): void {
    if (this.parts.some((p) => p.name === part.name)) throw new Error(`account data part ${part.name} registered twice`);
    this.parts.push(part);
  }

  all(): AccountDataPart[] {
    return [...this.parts].sort((a, b) => a.order - b.order);
  }
}

@Global()
@Module({ providers: [AccountDataRegistry], exports: [AccountDataRegistry] })
export class AccountDataModule {}

/** A JSON array as a text stream, from pages of items. */
export function jsonArray(items: AsyncIterable<unknown>): Readable {
  async function* chunks() {
    let first = true;
    yield '[';
    for await (const item of items) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
      first = false;
    }
    yield '\n]\n';
  }
  return Readable.from(chunks());
}

/** Keyset pages as one stream of items: `page(after)` answers up to a page of rows after the cursor row. */
export async function* keysetItems<R extends { id: string }, T>(page: (after: R | undefined) => Promise<R[]>, map: (row: R) => T): AsyncIterable<T> {
  let after: R | undefined;
  for (;;) {
    const rows = await page(after);
    for (const row of rows) yield map(row);
    if (!rows.length) return;
    after = rows[rows.length - 1];
  }
}
