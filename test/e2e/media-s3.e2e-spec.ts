import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import sharp from 'sharp';
import type { Test } from 'supertest';
import { Media } from '@/modules/media/entities/media.entity';
import { MediaCleanupService } from '@/modules/media/media-cleanup.service';
import { previewKeyOf, uploadKeyOf } from '@/modules/media/media-keys';
import { MediaObjectMissing } from '@/modules/media/storage/media-storage';
import { S3MediaStorage } from '@/modules/media/storage/s3.storage';
import { videoToolsAvailable } from '@/modules/media/video-probe';
import { expectProblem } from '../factories/http';
import { as, createPost } from '../factories/posts';
import { bearer, createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { TestS3Server } from '../support/s3-server';
import { waitFor } from '../support/wait';

interface MediaBody {
  id: string;
  type: string;
  status: string;
  url: string | null;
  preview_url: string | null;
  size: number | null;
}

/** An MP4 header (`ftyp`, brand isom) followed by a byte pattern: sniffed as video/mp4. */
function fakeMp4(size: number): Buffer {
  const file = Buffer.alloc(size);
  for (let i = 32; i < size; i += 4096) file[i] = i % 251;
  file.writeUInt32BE(32, 0);
  file.write('ftypisom', 4, 'latin1');
  file.writeUInt32BE(0x200, 12);
  file.write('isomiso2avc1mp41', 16, 'latin1');
  return file;
}

const binary = (test: Test) =>
  test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      done(null, /json/.test(String(res.headers['content-type'])) ? JSON.parse(body.toString() || 'null') : body);
    });
  });

/**
 * Media end to end on S3: the app configured with `S3_*` against a real S3-compatible server (s3rver, in-process, on a
 * port and folder of its own), so uploads, the lib-storage multipart path, signed reads with Range, processing,
 * deletes and the clean-up all go over the S3 API.
 */
describe('Media on S3 (s3rver)', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await TestS3Server.start('x18-media');
  });
  const t = useTestApp({ redisScope: 'media-s3', env: () => ({ ...s3.env, MEDIA_MAX_VIDEO_BYTES: String(8 * 1024 * 1024) }) });
  afterAll(async () => {
    await s3?.stop();
  });

  let alice: SignedInUser;
  beforeAll(async () => {
    alice = await createSignedInUser(t);
  });

  const auth = (user: SignedInUser) => ({ Authorization: bearer(user.accessToken) });
  const upload = (user: SignedInUser, file: Buffer) =>
    t.http.post('/api/v1/media').set(auth(user)).attach('file', file, { filename: 'upload.bin', contentType: 'application/octet-stream' });
  const getMedia = async (user: SignedInUser, id: string) => (await t.http.get(`/api/v1/media/${id}`).set(auth(user)).expect(200)).body as MediaBody;
  const settled = (user: SignedInUser, id: string) => waitFor(() => getMedia(user, id), (m) => m.status !== 'processing', 20_000, 100);
  const fetchUrl = (url: string, headers: Record<string, string> = {}) => {
    const { pathname, search } = new URL(url);
    return binary(t.http.get(pathname + search).set(headers));
  };
  const keyOf = async (id: string) => (await t.em().findOneOrFail(Media, { id })).storageKey;

  it('stores an image upload in the bucket, re-encodes it there, and serves it through a signed URL, whole and by Range', async () => {
    const png = await sharp({ create: { width: 120, height: 80, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toBuffer();
    const res = await upload(alice, png).expect(202);
    const key = await keyOf(res.body.id);
    const media = await settled(alice, res.body.id);
    expect(media).toMatchObject({ status: 'ready', type: 'image' });

    // The worker read the upload from S3, wrote the re-encoded file and its preview, and deleted the original.
    expect(s3.seen('PUT object', uploadKeyOf(key))).toHaveLength(1);
    expect(s3.seen('GET object', uploadKeyOf(key))).toHaveLength(1);
    expect(s3.seen('DELETE object', uploadKeyOf(key))).toHaveLength(1);
    expect(await s3.keys()).toEqual(expect.arrayContaining([key, previewKeyOf(key)]));
    expect(await s3.keys()).not.toContain(uploadKeyOf(key));

    // An unattached upload is private: signed URL only, the bare path is 404.
    expect(media.url).toContain('sig=');
    expectProblem(await fetchUrl(media.url!.split('?')[0]), 404, 'not_found');
    const served = await fetchUrl(media.url!).expect(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(await sharp(served.body).metadata()).toMatchObject({ format: 'png', width: 120, height: 80 });

    const part = await fetchUrl(media.url!, { Range: 'bytes=1-3' }).expect(206);
    expect(part.body.toString('latin1')).toBe('PNG');
    expect(part.headers['content-range']).toBe(`bytes 1-3/${served.body.length}`);
    expect(s3.seen('GET object', key).map((r) => r.range)).toContain('bytes=1-3');
    expect((await fetchUrl(media.url!, { Range: `bytes=${served.body.length}-` })).status).toBe(416);

    const preview = await fetchUrl(media.preview_url!).expect(200);
    expect(preview.headers['content-type']).toBe('image/webp');
  });

  it('streams a file over 5 MiB to the bucket as a multipart upload and serves any range of it', async () => {
    const size = 6 * 1024 * 1024 + 321;
    const video = fakeMp4(size);
    const res = await upload(alice, video).expect(202);
    const key = await keyOf(res.body.id);
    expect(s3.seen('create multipart', key)).toHaveLength(1);
    expect(s3.seen('upload part', key)).toHaveLength(2);
    expect(s3.seen('complete multipart', key)).toHaveLength(1);
    expect(await s3.openUploads()).toEqual([]);

    const media = await settled(alice, res.body.id);
    if (await videoToolsAvailable()) {
      // ffprobe reads it, and a header followed by a byte pattern is no video: the storage path was still exercised.
      expect(media.status).toBe('failed');
      return;
    }
    expect(media).toMatchObject({ status: 'ready', type: 'video', size });
    const from = 5 * 1024 * 1024 - 8;
    const part = await fetchUrl(media.url!, { Range: `bytes=${from}-${from + 15}` }).expect(206);
    expect(part.body.equals(video.subarray(from, from + 16))).toBe(true);
    const head = await fetchUrl(media.url!, { Range: 'bytes=4-11' }).expect(206);
    expect(head.body.toString('latin1')).toBe('ftypisom');
  });

  it('leaves no object and no row when the client goes away mid-upload', async () => {
    const user = await createSignedInUser(t);
    const before = await s3.keys();
    const creates = s3.seen('create multipart').length;
    const aborts = s3.seen('abort multipart').length;
    const port = await t.listen();
    const boundary = 'x18boundary';
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/media',
      headers: { ...auth(user), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(7 * 1024 * 1024) },
    });
    req.on('error', () => undefined);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
    req.write(fakeMp4(5.5 * 1024 * 1024));
    // Past one part: the first part is on its way to S3 when the client vanishes.
    const started = await waitFor(async () => s3.seen('create multipart').length, (n) => n > creates, 10_000, 20);
    expect(started).toBe(creates + 1);
    req.destroy();
    const aborted = await waitFor(async () => s3.seen('abort multipart').length, (n) => n > aborts, 10_000, 50);
    expect(aborted).toBe(aborts + 1);
    expect(await s3.keys()).toEqual(before);
    expect(await t.em().count(Media, { user: user.id })).toBe(0);
  });

  it('deletes the objects of cleaned-up media (unattached, of deleted posts) and keeps the rest', async () => {
    const user = await createSignedInUser(t);
    const png = () => sharp({ create: { width: 12, height: 12, channels: 3, background: '#123456' } }).png().toBuffer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(user, await png()).expect(202)).body.id);
    await Promise.all(ids.map((id) => settled(user, id)));
    const [stale, attached, ofDeleted] = ids;
    await createPost(t, user, { content: 'kept', media_ids: [attached] });
    const doomed = await createPost(t, user, { content: 'deleted', media_ids: [ofDeleted] });
    await as(t, user).delete(`/posts/${doomed.id}`).expect(204);

    const keys = { stale: await keyOf(stale), attached: await keyOf(attached), ofDeleted: await keyOf(ofDeleted) };
    expect(await s3.keys()).toEqual(expect.arrayContaining([keys.stale, previewKeyOf(keys.stale), keys.attached, keys.ofDeleted]));

    await t.app.get(MediaCleanupService).run(new Date(Date.now() + 24 * 60 * 60 * 1000 + 60_000));
    const after = await s3.keys();
    expect(after).toEqual(expect.arrayContaining([keys.attached, previewKeyOf(keys.attached)]));
    for (const gone of [keys.stale, previewKeyOf(keys.stale), keys.ofDeleted, previewKeyOf(keys.ofDeleted)]) expect(after).not.toContain(gone);
    expect(s3.seen('DELETE object', keys.stale)).toHaveLength(1);
  });
});

/** `size` bytes produced lazily, 64 KiB at a time, optionally failing after `failAfter` bytes. */
function generated(size: number, failAfter = Infinity): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= failAfter) return this.destroy(new Error('source failed'));
      if (sent >= size) return this.push(null);
      const chunk = Buffer.alloc(Math.min(65_536, size - sent), sent % 251);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

/** The driver alone against the same kind of server: what S3 sees of each call. */
describe('S3 storage driver (s3rver)', () => {
  let s3: TestS3Server;
  let sut: S3MediaStorage;

  beforeAll(async () => {
    s3 = await TestS3Server.start('bucket');
    sut = new S3MediaStorage(s3.options);
  });

  afterAll(async () => {
    sut?.destroy();
    await s3?.stop();
  });

  beforeEach(() => (s3.requests.length = 0));

  it('puts a small file in one request (path-style), reads it whole and by range, stats and deletes it', async () => {
    await sut.put('2026/11/25/a.txt', Readable.from([Buffer.from('hello world')]), 'text/plain');
    expect(s3.requests.map((r) => `${r.operation} ${r.key}`)).toEqual(['PUT object 2026/11/25/a.txt']);
    expect(await s3.keys()).toContain('2026/11/25/a.txt');

    expect(await text(await sut.get('2026/11/25/a.txt'))).toBe('hello world');
    expect(await text(await sut.get('2026/11/25/a.txt', { start: 6, end: 10 }))).toBe('world');
    expect(s3.seen('GET object', '2026/11/25/a.txt').map((r) => r.range)).toEqual([undefined, 'bytes=6-10']);
    expect(await sut.stat('2026/11/25/a.txt')).toEqual({ size: 11, modifiedAt: expect.any(Date) });

    await sut.delete('2026/11/25/a.txt');
    expect(s3.seen('DELETE object')).toHaveLength(1);
    expect(await sut.stat('2026/11/25/a.txt')).toBeNull();
    expect(await s3.keys()).not.toContain('2026/11/25/a.txt');
  });

  it('streams a large file as multipart parts (lib-storage), stored whole and readable by range', async () => {
    const size = 12 * 1024 * 1024 + 123;
    await sut.put('big.bin', generated(size), 'video/mp4');
    expect(s3.seen('create multipart', 'big.bin')).toHaveLength(1);
    expect(s3.seen('upload part', 'big.bin')).toHaveLength(3);
    expect(s3.seen('complete multipart', 'big.bin')).toHaveLength(1);
    expect(s3.seen('PUT object')).toEqual([]);
    expect(await s3.openUploads()).toEqual([]);

    expect(await sut.stat('big.bin')).toEqual({ size, modifiedAt: expect.any(Date) });
    expect((await buffer(await sut.get('big.bin'))).equals(await buffer(generated(size)))).toBe(true);
    // A range across the first part boundary (5 MiB).
    const from = 5 * 1024 * 1024 - 10;
    const slice = await buffer(await sut.get('big.bin', { start: from, end: from + 19 }));
    expect(slice.equals((await buffer(generated(size))).subarray(from, from + 20))).toBe(true);
    await sut.delete('big.bin');
  });

  it('stores nothing under the key when the source fails mid-upload, and asks S3 to abort the multipart upload', async () => {
    await expect(sut.put('broken.bin', generated(20 * 1024 * 1024, 7 * 1024 * 1024), 'video/mp4')).rejects.toThrow('source failed');
    // The abort request may land just after the rejection: poll for it instead of sleeping a fixed time.
    const aborts = await waitFor(async () => s3.seen('abort multipart', 'broken.bin'), (seen) => seen.length > 0, 5000, 20);
    expect(aborts).toHaveLength(1);
    expect(s3.seen('complete multipart', 'broken.bin')).toEqual([]);
    expect(await sut.stat('broken.bin')).toBeNull();
    expect(await s3.keys()).not.toContain('broken.bin');
  });

  it('answers missing objects: stat null, get MediaObjectMissing, delete is no error', async () => {
    expect(await sut.stat('nope')).toBeNull();
    await expect(sut.get('nope')).rejects.toBeInstanceOf(MediaObjectMissing);
    await expect(sut.get('nope', { start: 0, end: 1 })).rejects.toBeInstanceOf(MediaObjectMissing);
    await expect(sut.delete('nope')).resolves.toBeUndefined();
  });

  it('fails loudly with credentials the server does not know (s3rver checks the key id, not SigV4 signatures)', async () => {
    const wrong = new S3MediaStorage({ ...s3.options, accessKeyId: 'NOT-A-KEY' });
    try {
      await expect(wrong.put('x.txt', Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
      expect(await s3.keys()).not.toContain('x.txt');
    } finally {
      wrong.destroy();
    }
  });
});
