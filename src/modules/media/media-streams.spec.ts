import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { ByteLimit, readHead } from './media-streams';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe(readHead.name, () => {
  it('answers the first bytes and replays them ahead of the rest', async () => {
    const { head, body } = await readHead(chunks('ab', 'cd', 'ef', 'gh'), 3);
    expect(head.toString()).toBe('abcd');
    expect((await buffer(body)).toString()).toBe('abcdefgh');
  });

  it('handles a stream shorter than the head', async () => {
    const { head, body } = await readHead(chunks('ab'), 100);
    expect(head.toString()).toBe('ab');
    expect((await buffer(body)).toString()).toBe('ab');
  });

  it('passes on a failure of the source', async () => {
    async function* failing() {
      yield Buffer.from('abcd');
      yield Buffer.from('ef');
      throw new Error('gone');
    }
    const { body } = await readHead(Readable.from(failing()), 2);
    await expect(buffer(body)).rejects.toThrow('gone');
  });
});

describe(ByteLimit.name, () => {
  it('counts what passes and fails as soon as the limit is crossed', async () => {
    const ok = new ByteLimit(6, () => new Error('too large'));
    await pipeline(chunks('abc', 'def'), ok, new Writable({ write: (_chunk, _encoding, done) => done() }));
    expect(ok.bytes).toBe(6);
    const over = new ByteLimit(5, () => new Error('too large'));
    await expect(buffer(chunks('abc', 'def', 'ghi').pipe(over))).rejects.toThrow('too large');
  });
});
