import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import type { Test } from 'supertest';
import { Media } from '@/modules/media/entities/media.entity';
import { MediaCleanupService } from '@/modules/media/media-cleanup.service';
import { MediaUrlSigner } from '@/modules/media/media-url.signer';
import { videoToolsAvailable } from '@/modules/media/video-probe';
import { Post } from '@/modules/posts/entities/post.entity';
import { expectProblem } from '../factories/http';
import { as, createPost, follow, subscribe, unlock } from '../factories/posts';
import { bearer, createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp, withTestApp } from '../support/app';
import { waitFor } from '../support/wait';

interface MediaBody {
  id: string;
  type: string;
  status: string;
  url: string | null;
  preview_url: string | null;
  width: number | null;
  height: number | null;
  size: number | null;
  mime_type: string | null;
  alt_text: string | null;
  blurhash: string | null;
  created_at: string;
}

const MEDIA_KEYS = ['id', 'type', 'status', 'url', 'preview_url', 'width', 'height', 'size', 'mime_type', 'alt_text', 'blurhash', 'created_at'].sort();
/** Small limits, so the size checks need no 10 MB files. */
const MAX_IMAGE = 256 * 1024;
const MAX_VIDEO = 1024 * 1024;

/** Random pixels: PNG cannot compress them, so the size is about width x height x 3. */
const noisyPng = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
const flatImage = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } });

/** Whether a JPEG's EXIF block has a GPS IFD (tag 0x8825 in IFD0). */
function hasGpsIfd(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  const tiff = exif.subarray(exif.indexOf('Exif\0\0') + 6);
  const little = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const ifd0 = little ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  return Array.from({ length: u16(ifd0) }, (_, i) => u16(ifd0 + 2 + i * 12)).includes(0x8825);
}

/** An MP4 header (`ftyp`, brand isom) followed by zeros: sniffed as video/mp4. */
function fakeMp4(size: number): Buffer {
  const file = Buffer.alloc(size);
  file.writeUInt32BE(32, 0);
  file.write('ftypisom', 4, 'latin1');
  file.writeUInt32BE(0x200, 12);
  file.write('isomiso2avc1mp41', 16, 'latin1');
  return file;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The bytes as a Buffer; problem+json answers parsed as usual. */
const binary = (test: Test) =>
  test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      done(null, /json/.test(String(res.headers['content-type'])) ? JSON.parse(body.toString() || 'null') : body);
    });
  });

describe('Media', () => {
  const t = useTestApp({ redisScope: 'media', env: { MEDIA_MAX_IMAGE_BYTES: String(MAX_IMAGE), MEDIA_MAX_VIDEO_BYTES: String(MAX_VIDEO) } });
  let alice: SignedInUser;
  let bob: SignedInUser;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
  });

  const auth = (user: SignedInUser) => ({ Authorization: bearer(user.accessToken) });
  const upload = (user: SignedInUser, file: Buffer, fields: Record<string, string> = {}, filename = 'upload.bin') => {
    let req = t.http.post('/api/v1/media').set(auth(user));
    for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
    return req.attach('file', file, { filename, contentType: 'application/octet-stream' });
  };
  const getMedia = async (user: SignedInUser, id: string) =>
    (await t.http.get(`/api/v1/media/${id}`).set(auth(user)).expect(200)).body as MediaBody;
  const settled = (user: SignedInUser, id: string) => waitFor(() => getMedia(user, id), (m) => m.status !== 'processing', 20_000, 100);
  /** Uploads and waits for the worker. */
  const uploadReady = async (user: SignedInUser, file: Buffer, fields: Record<string, string> = {}) => {
    const res = await upload(user, file, fields).expect(202);
    const media = await settled(user, res.body.id);
    expect(media.status).toBe('ready');
    return media;
  };
  /** A URL the API handed out, fetched from the in-process server. */
  const fetchUrl = (url: string, headers: Record<string, string> = {}) => {
    const { pathname, search } = new URL(url);
    return binary(t.http.get(pathname + search).set(headers));
  };
  const bare = (url: string) => url.split('?')[0];
  const rowsOf = (user: SignedInUser) => t.em().count(Media, { user: user.id });

  describe('uploads', () => {
    it('stores a PNG and answers 202 processing; the worker makes it ready with dimensions, a WebP preview and a blurhash', async () => {
      const small = await noisyPng(300, 200);
      const res = await upload(alice, small, { alt_text: 'a red square' }, 'photo.jpg').expect(202);
      expect(Object.keys(res.body).sort()).toEqual(MEDIA_KEYS);
      expect(res.body).toMatchObject({ type: 'image', status: 'processing', url: null, mime_type: 'image/png', alt_text: 'a red square', size: small.length });

      const media = await settled(alice, res.body.id);
      expect(media).toMatchObject({ status: 'ready', type: 'image', mime_type: 'image/png', width: 300, height: 200 });
      expect(media.blurhash).toMatch(/^[0-9A-Za-z#$%*+,-.:;=?@[\]^_{|}~]{6,}$/);

      const served = await fetchUrl(media.url!).expect(200);
      expect(served.headers['content-type']).toBe('image/png');
      expect(Number(served.headers['content-length'])).toBe(served.body.length);
      expect(await sharp(served.body).metadata()).toMatchObject({ format: 'png', width: 300, height: 200 });

      const preview = await fetchUrl(media.preview_url!).expect(200);
      expect(preview.headers['content-type']).toBe('image/webp');
      expect(await sharp(preview.body).metadata()).toMatchObject({ format: 'webp', width: 300, height: 200 });
    });

    it('makes the preview at most 640 px on its longer side', async () => {
      const media = await uploadReady(alice, await flatImage(1600, 900).png().toBuffer());
      expect(media).toMatchObject({ width: 1600, height: 900 });
      const preview = await sharp((await fetchUrl(media.preview_url!).expect(200)).body).metadata();
      expect(preview).toMatchObject({ format: 'webp', width: 640, height: 360 });
    });

    it('re-encodes a JPEG without its EXIF and GPS, with the EXIF orientation applied to the pixels', async () => {
      const input = await flatImage(300, 200)
        .jpeg()
        .withMetadata({ orientation: 6 })
        .withExif({ IFD0: { Make: 'LeakyCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
        .toBuffer();
      const before = await sharp(input).metadata();
      expect(hasGpsIfd(before.exif)).toBe(true);
      expect(before.orientation).toBe(6);

      const media = await uploadReady(alice, input);
      expect(media).toMatchObject({ mime_type: 'image/jpeg', width: 200, height: 300 });
      const served = (await fetchUrl(media.url!).expect(200)).body as Buffer;
      const after = await sharp(served).metadata();
      expect(after).toMatchObject({ format: 'jpeg', width: 200, height: 300 });
      expect(after.exif).toBeUndefined();
      expect(after.orientation).toBeUndefined();
      expect(served.includes('LeakyCam')).toBe(false);
    });

    it('keeps a GIF a GIF', async () => {
      const media = await uploadReady(alice, await flatImage(40, 30).gif().toBuffer());
      expect(media).toMatchObject({ mime_type: 'image/gif', width: 40, height: 30 });
      expect((await sharp((await fetchUrl(media.url!).expect(200)).body).metadata()).format).toBe('gif');
    });

    it('refuses a text file named like an image with 415, leaving no row and no file', async () => {
      const user = await createSignedInUser(t);
      const files = await filesUnder(t.config.media.dir);
      const res = await upload(user, Buffer.from('just some text, honest\n'.repeat(50)), {}, 'cat.png');
      expectProblem(res, 415, 'unsupported_media_type');
      expectProblem(await upload(user, Buffer.alloc(0), {}, 'empty.png'), 415, 'unsupported_media_type');
      expect(await rowsOf(user)).toBe(0);
      expect(await filesUnder(t.config.media.dir)).toEqual(files);
    });

    it('refuses an image over the image limit with 413 and deletes the partial file', async () => {
      const user = await createSignedInUser(t);
      const big = await noisyPng(400, 400);
      expect(big.length).toBeGreaterThan(MAX_IMAGE);
      const files = await filesUnder(t.config.media.dir);
      expectProblem(await upload(user, big), 413, 'payload_too_large');
      expect(await rowsOf(user)).toBe(0);
      expect(await filesUnder(t.config.media.dir)).toEqual(files);
    });

    it('takes a video up to the video limit and refuses a larger one with 413, before reading it when its length says so', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await upload(user, fakeMp4(MAX_VIDEO + 10_000)), 413, 'payload_too_large');
      const declared = await upload(user, fakeMp4(MAX_VIDEO + 200_000));
      expectProblem(declared, 413, 'payload_too_large');
      expect(declared.headers.connection).toBe('close');
      expect(await rowsOf(user)).toBe(0);
      const res = await upload(user, fakeMp4(MAX_VIDEO)).expect(202);
      expect(res.body).toMatchObject({ type: 'video', mime_type: 'video/mp4', size: MAX_VIDEO, status: 'processing' });
    });

    it('leaves no file and no row when the client goes away mid-upload', async () => {
      const user = await createSignedInUser(t);
      const files = await filesUnder(t.config.media.dir);
      const port = await t.listen();
      const boundary = 'x18boundary';
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`);
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/media',
        headers: { ...auth(user), 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(200_000) },
      });
      req.on('error', () => undefined);
      req.write(head);
      req.write((await noisyPng(200, 200)).subarray(0, 60_000));
      // Let the server start writing, then vanish.
      await waitFor(async () => (await filesUnder(t.config.media.dir)).length, (n) => n > files.length, 5000, 20);
      req.destroy();
      const left = await waitFor(() => filesUnder(t.config.media.dir), (now) => now.length === files.length, 5000, 50);
      expect(left).toEqual(files);
      expect(await rowsOf(user)).toBe(0);
    });

    it('validates the other fields: alt_text up to 1500 characters, no unknown fields, a file required', async () => {
      const png = await flatImage(10, 10).png().toBuffer();
      expectProblem(await upload(alice, png, { alt_text: 'x'.repeat(1501) }), 400, 'validation_failed');
      expectProblem(await upload(alice, png, { caption: 'no' }), 400, 'validation_failed');
      expectProblem(await t.http.post('/api/v1/media').set(auth(alice)).field('alt_text', 'only text'), 400, 'validation_failed');
      expectProblem(await t.http.post('/api/v1/media').set(auth(alice)).send({ file: 'x' }), 415, 'unsupported_media_type');
      expectProblem(await t.http.post('/api/v1/media').attach('file', png, 'a.png'), 401, 'unauthorized');
      const res = await upload(alice, png, { alt_text: 'é'.repeat(1500) }).expect(202);
      expect(res.body.alt_text).toHaveLength(1500);
    });

    it('marks a truncated image failed, with the reason stored', async () => {
      const jpeg = await flatImage(400, 300).jpeg().toBuffer();
      const res = await upload(alice, jpeg.subarray(0, Math.floor(jpeg.length / 2))).expect(202);
      const media = await settled(alice, res.body.id);
      expect(media).toMatchObject({ status: 'failed', url: null, preview_url: null });
      expect((await t.em().findOneOrFail(Media, { id: media.id })).failureReason).toEqual(expect.any(String));
    });

    it('processes a video: type and size always, Range requests answered 206 and 416', async () => {
      const res = await upload(alice, fakeMp4(64 * 1024)).expect(202);
      const media = await settled(alice, res.body.id);
      if (await videoToolsAvailable()) {
        // ffprobe reads it: a header followed by zeros is no video.
        expect(media.status).toBe('failed');
        return;
      }
      expect(media).toMatchObject({ status: 'ready', type: 'video', mime_type: 'video/mp4', size: 64 * 1024, width: null, preview_url: null });
      const part = await fetchUrl(media.url!, { Range: 'bytes=4-11' }).expect(206);
      expect(part.headers['content-range']).toBe(`bytes 4-11/${64 * 1024}`);
      expect(part.headers['content-type']).toBe('video/mp4');
      expect(part.body.toString('latin1')).toBe('ftypisom');
      const tail = await fetchUrl(media.url!, { Range: 'bytes=-100' }).expect(206);
      expect(tail.body).toHaveLength(100);
      const beyond = await fetchUrl(media.url!, { Range: 'bytes=70000-' });
      expect(beyond.status).toBe(416);
      expect(beyond.headers['content-range']).toBe(`bytes */${64 * 1024}`);
    });

    it('counts uploads per user against the media upload limit', async () => {
      await withTestApp({ redisScope: 'media-limit', env: { RATE_LIMIT_MEDIA_UPLOAD: '2/30m' } }, async (limited) => {
        const user = await createSignedInUser(limited);
        const png = await flatImage(10, 10).png().toBuffer();
        const send = () => limited.http.post('/api/v1/media').set(auth(user)).attach('file', png, 'a.png');
        const first = await send().expect(202);
        expect(first.headers['ratelimit-limit']).toBe('2');
        await send().expect(202);
        const refused = await send();
        expectProblem(refused, 429, 'rate_limited');
        expect(refused.headers['retry-after']).toBeDefined();
      });
    });
  });

  describe('own media', () => {
    it('answers GET and PATCH (alt_text) for the owner only; anyone else gets 404', async () => {
      const media = await uploadReady(alice, await flatImage(20, 20).png().toBuffer(), { alt_text: 'first' });
      const patched = await t.http.patch(`/api/v1/media/${media.id}`).set(auth(alice)).send({ alt_text: 'second' }).expect(200);
      expect(patched.body).toMatchObject({ id: media.id, alt_text: 'second', status: 'ready' });
      expect((await getMedia(alice, media.id)).alt_text).toBe('second');
      expect((await t.http.patch(`/api/v1/media/${media.id}`).set(auth(alice)).send({ alt_text: null }).expect(200)).body.alt_text).toBeNull();

      expectProblem(await t.http.get(`/api/v1/media/${media.id}`).set(auth(bob)), 404, 'not_found');
      expectProblem(await t.http.patch(`/api/v1/media/${media.id}`).set(auth(bob)).send({ alt_text: 'mine now' }), 404, 'not_found');
      expectProblem(await t.http.patch(`/api/v1/media/${media.id}`).set(auth(alice)).send({ alt_text: 'x'.repeat(1501) }), 400, 'validation_failed');
      expectProblem(await t.http.patch(`/api/v1/media/${media.id}`).set(auth(alice)).send({ url: 'http://evil.test' }), 400, 'validation_failed');
      expectProblem(await t.http.get('/api/v1/media/not-a-uuid').set(auth(alice)), 400, 'validation_failed');
    });

    it('keeps an unattached upload private: its URL is signed and the bare path is 404', async () => {
      const media = await uploadReady(alice, await flatImage(20, 20).png().toBuffer());
      expect(media.url).toMatch(/\?exp=\d+&sig=[0-9a-f]{64}$/);
      await fetchUrl(media.url!).expect(200);
      expectProblem(await fetchUrl(bare(media.url!)), 404, 'not_found');
      expectProblem(await fetchUrl(bare(media.preview_url!)), 404, 'not_found');
    });
  });

  describe('in posts', () => {
    it("refuses someone else's media, and media still processing, with 422", async () => {
      const theirs = await uploadReady(bob, await flatImage(20, 20).png().toBuffer());
      expectProblem(await as(t, alice).post('/posts', { content: 'stolen', media_ids: [theirs.id] }), 422, 'validation_failed');
      const pending = await upload(alice, await flatImage(20, 20).png().toBuffer()).expect(202);
      await t.em().nativeUpdate(Media, { id: pending.body.id }, { status: 'processing' });
      expectProblem(await as(t, alice).post('/posts', { content: 'early', media_ids: [pending.body.id] }), 422, 'validation_failed');
    });

    it('serves media of a public post at a plain URL, cached for good, with ETag and Range', async () => {
      const media = await uploadReady(alice, await flatImage(64, 48).png().toBuffer());
      const post = await createPost(t, alice, { content: 'public pic', media_ids: [media.id] });
      const anonymous = (await as(t).get(`/posts/${post.id}`).expect(200)).body;
      const url = anonymous.media[0].url as string;
      expect(url).not.toContain('?');
      expect(anonymous.media[0]).toMatchObject({ id: media.id, width: 64, height: 48, preview_url: expect.stringMatching(/\.preview\.webp$/) });

      const served = await fetchUrl(url).expect(200);
      expect(served.headers).toMatchObject({
        'content-type': 'image/png',
        'cache-control': 'public, max-age=31536000, immutable',
        'accept-ranges': 'bytes',
        etag: expect.stringMatching(/^"[^"]+"$/),
        'x-content-type-options': 'nosniff',
      });
      await fetchUrl(url, { 'If-None-Match': served.headers.etag }).expect(304);
      const part = await fetchUrl(url, { Range: 'bytes=0-7' }).expect(206);
      expect(part.headers['content-range']).toBe(`bytes 0-7/${served.body.length}`);
      expect(part.body.equals(served.body.subarray(0, 8))).toBe(true);
      expect((await fetchUrl(url, { Range: `bytes=${served.body.length}-` })).status).toBe(416);
      expectProblem(await fetchUrl(url.replace(/\.png$/, '.gif')), 404, 'not_found');
      expectProblem(await t.http.get('/api/v1/media/files/..%2F..%2Fetc%2Fpasswd'), 404, 'not_found');
    });

    it('signs media of premium posts for entitled viewers only; locked viewers get no URLs and the bare path is 404', async () => {
      const [buyer, stranger] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      const media = await uploadReady(alice, await flatImage(32, 32).png().toBuffer());
      const post = await createPost(t, alice, { content: 'pay to see', price_cents: 500, preview: 'teaser', media_ids: [media.id] });
      await unlock(t, buyer, post);

      const locked = (await as(t, stranger).get(`/posts/${post.id}`).expect(200)).body;
      expect(locked.locked).toBe(true);
      expect(locked.media).toEqual([{ id: media.id, type: 'image' }]);

      for (const viewer of [alice, buyer]) {
        const open = (await as(t, viewer).get(`/posts/${post.id}`).expect(200)).body;
        expect(open.locked).toBe(false);
        const url = open.media[0].url as string;
        expect(url).toMatch(/\?exp=\d+&sig=[0-9a-f]{64}$/);
        const served = await fetchUrl(url).expect(200);
        expect(served.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
        expect(Number(/max-age=(\d+)/.exec(served.headers['cache-control'])![1])).toBeLessThanOrEqual(t.config.media.urlTtlSeconds);
        await fetchUrl(open.media[0].preview_url).expect(200);
      }
      const url = (await as(t, buyer).get(`/posts/${post.id}`).expect(200)).body.media[0].url as string;
      expectProblem(await fetchUrl(bare(url)), 404, 'not_found');
      expectProblem(await fetchUrl(bare(url).replace(/\.png$/, '.preview.webp')), 404, 'not_found');
    });

    it('refuses an expired or tampered signature with 403', async () => {
      const media = await uploadReady(alice, await flatImage(16, 16).png().toBuffer());
      const post = await createPost(t, alice, { content: 'followers only', visibility: 'followers', media_ids: [media.id] });
      const url = (await as(t, alice).get(`/posts/${post.id}`).expect(200)).body.media[0].url as string;
      const { pathname, searchParams } = new URL(url);
      const key = decodeURIComponent(pathname.replace('/api/v1/media/files/', ''));
      const signer = t.app.get(MediaUrlSigner);
      const past = Math.floor(Date.now() / 1000) - 60;
      const exp = Number(searchParams.get('exp'));
      const sig = searchParams.get('sig')!;

      await t.http.get(`${pathname}?exp=${exp}&sig=${sig}`).expect(200);
      for (const query of [
        `exp=${past}&sig=${signer.sign(key, past)}`,
        `exp=${exp + 1}&sig=${sig}`,
        `exp=${exp}&sig=${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`,
        `exp=${exp}&sig=${signer.sign(key.replace(/\.png$/, '.preview.webp'), exp)}`,
        `exp=${exp}`,
        `sig=${sig}`,
      ]) {
        expectProblem(await t.http.get(`${pathname}?${query}`), 403, 'forbidden');
      }
    });

    it('gives followers of a followers-only post working signed URLs; others never see the post or the file', async () => {
      const [fan, stranger] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      await follow(t, fan, alice);
      const media = await uploadReady(alice, await flatImage(16, 16).png().toBuffer());
      const post = await createPost(t, alice, { content: 'friends', visibility: 'followers', media_ids: [media.id] });
      const url = (await as(t, fan).get(`/posts/${post.id}`).expect(200)).body.media[0].url as string;
      await fetchUrl(url).expect(200);
      expectProblem(await as(t, stranger).get(`/posts/${post.id}`), 404, 'not_found');
      expectProblem(await fetchUrl(bare(url)), 404, 'not_found');
    });

    it('signs media of a subscriber-only premium post for active subscribers', async () => {
      const fan = await createSignedInUser(t);
      await subscribe(t, fan, alice);
      const media = await uploadReady(alice, await flatImage(16, 16).png().toBuffer());
      const post = await createPost(t, alice, { content: 'subs', is_premium: true, media_ids: [media.id] });
      const open = (await as(t, fan).get(`/posts/${post.id}`).expect(200)).body;
      expect(open.locked).toBe(false);
      await fetchUrl(open.media[0].url).expect(200);
    });
  });

  describe('profiles', () => {
    it('sets avatar_url and cover_url to public URLs that serve without a signature', async () => {
      const user = await createSignedInUser(t);
      const [avatar, cover] = await Promise.all([
        uploadReady(user, await flatImage(50, 50).png().toBuffer()),
        uploadReady(user, await flatImage(150, 50).jpeg().toBuffer()),
      ]);
      const me = (await t.http.patch('/api/v1/me').set(auth(user)).send({ avatar_media_id: avatar.id, cover_media_id: cover.id }).expect(200)).body;
      expect(me.avatar_url).toBe(bare(avatar.url!));
      expect(me.cover_url).toBe(bare(cover.url!));
      const served = await fetchUrl(me.avatar_url).expect(200);
      expect(served.headers['cache-control']).toContain('public');
      await fetchUrl(me.cover_url).expect(200);
      expect((await getMedia(user, avatar.id)).url).toBe(me.avatar_url);
    });
  });

  describe('clean-up', () => {
    const day = 24 * 60 * 60 * 1000;

    it('deletes uploads never attached within 24 h and media of deleted posts, rows and files; keeps avatars and live posts', async () => {
      const user = await createSignedInUser(t);
      const png = () => flatImage(12, 12).png().toBuffer();
      const [stale, avatar, attached, ofDeleted] = await Promise.all([uploadReady(user, await png()), uploadReady(user, await png()), uploadReady(user, await png()), uploadReady(user, await png())]);
      await t.http.patch('/api/v1/me').set(auth(user)).send({ avatar_media_id: avatar.id }).expect(200);
      await createPost(t, user, { content: 'kept', media_ids: [attached.id] });
      const doomed = await createPost(t, user, { content: 'deleted', media_ids: [ofDeleted.id] });
      await as(t, user).delete(`/posts/${doomed.id}`).expect(204);
      expectProblem(await fetchUrl(ofDeleted.url!), 404, 'not_found');

      const keyOf = async (id: string) => (await t.em().findOneOrFail(Media, { id })).storageKey;
      const keys = { stale: await keyOf(stale.id), ofDeleted: await keyOf(ofDeleted.id), attached: await keyOf(attached.id), avatar: await keyOf(avatar.id) };
      const files = await filesUnder(t.config.media.dir);
      expect(files).toEqual(expect.arrayContaining(Object.values(keys)));

      const report = await t.app.get(MediaCleanupService).run(new Date(Date.now() + day + 60_000));
      expect(report.unattached).toBeGreaterThanOrEqual(1);
      expect(report.ofDeletedPosts).toBeGreaterThanOrEqual(1);
      const remaining = await t.em().find(Media, { id: { $in: [stale.id, avatar.id, attached.id, ofDeleted.id] } });
      expect(remaining.map((m) => m.id).sort()).toEqual([avatar.id, attached.id].sort());
      const after = await filesUnder(t.config.media.dir);
      expect(after).toEqual(expect.arrayContaining([keys.attached, keys.avatar]));
      expect(after.filter((f) => f.startsWith(keys.stale.replace(/\.png$/, '')) || f.startsWith(keys.ofDeleted.replace(/\.png$/, '')))).toEqual([]);
      expect(await t.em().count(Post, { id: doomed.id })).toBe(1);
    });
  });
});
