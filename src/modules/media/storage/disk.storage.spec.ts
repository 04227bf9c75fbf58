import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { DiskMediaStorage } from './disk.storage';
import { MediaObjectMissing } from './media-storage';

describe(DiskMediaStorage.name, () => {
  let root: string;
  let sut: DiskMediaStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'x18-disk-'));
    sut = new DiskMediaStorage(join(root, 'media'));
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores a stream under a nested key, creating the folders, and reads it back whole or by range', async () => {
    await sut.put('2026/11/25/a.txt', Readable.from(['hello ', 'world']), 'text/plain');
    expect(await text(await sut.get('2026/11/25/a.txt'))).toBe('hello world');
    expect(await text(await sut.get('2026/11/25/a.txt', { start: 6, end: 10 }))).toBe('world');
    const stat = await sut.stat('2026/11/25/a.txt');
    expect(stat?.size).toBe(11);
    expect(Math.abs(stat!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('leaves nothing behind when the stream fails half-way', async () => {
    async function* failing() {
      yield Buffer.alloc(1000);
      throw new Error('client went away');
    }
    await expect(sut.put('2026/11/25/b.bin', Readable.from(failing()), 'application/octet-stream')).rejects.toThrow('client went away');
    expect(await readdir(join(root, 'media/2026/11/25'))).toEqual([]);
    expect(await sut.stat('2026/11/25/b.bin')).toBeNull();
  });

  it('answers missing objects: stat null, get MediaObjectMissing, delete a no-op', async () => {
    expect(await sut.stat('nope.bin')).toBeNull();
    await expect(sut.get('nope.bin')).rejects.toBeInstanceOf(MediaObjectMissing);
    await expect(sut.delete('nope.bin')).resolves.toBeUndefined();
  });

  it('deletes', async () => {
    await sut.put('c.bin', Readable.from([Buffer.from('x')]), 'application/octet-stream');
    await sut.delete('c.bin');
    expect(await sut.stat('c.bin')).toBeNull();
  });

  it('refuses keys that would leave its folder', () => {
    for (const key of ['../secrets.json', 'a/../../b', '/etc/passwd', 'a//b', '', 'a/\0b', '..\\x']) {
      expect(() => sut.pathOf(key)).toThrow('invalid storage key');
    }
    expect(sut.pathOf('2026/01/01/x.png')).toBe(join(root, 'media', '2026/01/01/x.png'));
  });
});
