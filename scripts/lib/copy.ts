import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | undefined | Date;

/** A value in COPY's text format: `\N` for null, backslash escapes for the separators. */
export function copyText(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return value.toISOString();
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/** An ISO timestamp (UTC, millisecond precision) from epoch milliseconds, as the service writes them. */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `COPY table (columns) FROM STDIN` fed by a generator of rows, in ~1 MB chunks with backpressure: the generator
 * runs while PostgreSQL parses the previous chunk, which is what keeps both cores busy.
 */
export async function copyRows(
  client: Client,
  table: string,
  columns: string[],
  rows: Iterable<CopyValue[]>,
  onRows?: (n: number) => void,
): Promise<number> {
  const stream = client.query(copyFrom(`copy ${table} (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`));
  let count = 0;
  const source = Readable.from(
    (function* chunks() {
      let chunk = '';
      let inChunk = 0;
      for (const row of rows) {
        chunk += row.map(copyText).join('\t') + '\n';
        inChunk++;
        if (chunk.length >= 1 << 20) {
          count += inChunk;
          onRows?.(inChunk);
          inChunk = 0;
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) {
        count += inChunk;
        onRows?.(inChunk);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  await pipeline(source, stream);
  return count;
}


