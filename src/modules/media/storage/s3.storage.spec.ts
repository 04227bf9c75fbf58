import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { MediaObjectMissing } from './media-storage';
import { S3MediaStorage } from './s3.storage';

/** The few S3 calls the driver makes, path-style, in memory: enough to see what goes over the wire. */
class FakeS3 {
  readonly objects = new Map<string, { body: Buffer; type: string; modified: Date }>();
  readonly uploads = new Map<string, Buffer[]>();
  readonly calls: string[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://s3.test');
    const key = decodeURIComponent(url.pathname.replace(/^\/bucket\//, ''));
    const q = url.searchParams;
    const body = await buffer(req);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const op = `${req.method} ${q.has('uploads') ? 'create' : q.has('partNumber') ? 'part' : q.has('uploadId') ? 'upload' : 'object'}`;
    this.calls.push(op);
    const xml = (status: number, payload: string) => void res.writeHead(status, { 'Content-Type': 'application/xml' }).end(`<?xml version="1.0"?>${payload}`);
    switch (op) {
      case 'PUT object':
        this.objects.set(key, { body, type: String(req.headers['content-type']), modified: new Date() });
        return void res.writeHead(200, { ETag: etag }).end();
      case 'POST create': {
        const id = randomBytes(4).toString('hex');
        this.uploads.set(id, []);
        return xml(200, `<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      }
      case 'PUT part':
        this.uploads.get(q.get('uploadId')!)![Number(q.get('partNumber')) - 1] = body;
        return void res.writeHead(200, { ETag: etag }).end();
      case 'POST upload':
        this.objects.set(key, { body: Buffer.concat(this.uploads.get(q.get('uploadId')!)!), type: 'application/octet-stream', modified: new Date() });
        this.uploads.delete(q.get('uploadId')!);
        return xml(200, `<CompleteMultipartUploadResult><Bucket>bucket</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`);
      case 'DELETE upload':
        this.uploads.delete(q.get('uploadId')!);
        return void res.writeHead(204).end();
      case 'DELETE object':
        this.objects.delete(key);
        return void res.writeHead(204).end();
    }
    const object = this.objects.get(key);
    if (!object) {
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      return xml(404, '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    const bytes = range ? object.body.subarray(Number(range[1]), Number(range[2]) + 1) : object.body;
    res.writeHead(range ? 206 : 200, {
      'Content-Type': object.type,
      'Content-Length': bytes.length,
      'Last-Modified': object.modified.toUTCString(),
      ETag: `"${createHash('md5').update(object.body).digest('hex')}"`,
      ...(range ? { 'Content-Range': `bytes ${range[1]}-${range[2]}/${object.body.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}

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

// The SDK's notice about its future Node 22 requirement is for operators (see README), not test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe(S3MediaStorage.name, () => {
  const s3 = new FakeS3();
  let sut: S3MediaStorage;

  beforeAll(async () => {
    const endpoint = await s3.start();
    sut = new S3MediaStorage({ bucket: 'bucket', region: 'us-east-1', endpoint, accessKeyId: 'test', secretAccessKey: 'test-secret' });
  });

  afterAll(async () => {
    sut.destroy();
    await s3.stop();
  });

  beforeEach(() => (s3.calls.length = 0));

  it('puts a small file in one request (path-style), reads it whole and by range, stats and deletes it', async () => {
    await sut.put('2026/11/25/a.txt', Readable.from([Buffer.from('hello world')]), 'text/plain');
    expect(s3.calls).toEqual(['PUT object']);
    expect(s3.objects.get('2026/11/25/a.txt')).toMatchObject({ type: 'text/plain' });
    expect(await text(await sut.get('2026/11/25/a.txt'))).toBe('hello world');
    expect(await text(await sut.get('2026/11/25/a.txt', { start: 6, end: 10 }))).toBe('world');
    expect(await sut.stat('2026/11/25/a.txt')).toEqual({ size: 11, modifiedAt: expect.any(Date) });
    await sut.delete('2026/11/25/a.txt');
    expect(await sut.stat('2026/11/25/a.txt')).toBeNull();
  });

  it('streams a large file as multipart parts', async () => {
    const size = 12 * 1024 * 1024 + 123;
    await sut.put('big.bin', generated(size), 'video/mp4');
    expect(s3.calls.filter((c) => c === 'PUT part')).toHaveLength(3);
    expect(s3.objects.get('big.bin')!.body.equals(await buffer(generated(size)))).toBe(true);
  });

  it('aborts the multipart upload when the source fails, storing nothing', async () => {
    await expect(sut.put('broken.bin', generated(20 * 1024 * 1024, 7 * 1024 * 1024), 'video/mp4')).rejects.toThrow('source failed');
    // The abort request may land just after the rejection: poll for it instead of sleeping a fixed time.
    for (let i = 0; i < 100 && s3.uploads.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(s3.objects.has('broken.bin')).toBe(false);
    expect(s3.uploads.size).toBe(0);
  });

  it('answers missing objects: stat null, get MediaObjectMissing', async () => {
    expect(await sut.stat('nope')).toBeNull();
    await expect(sut.get('nope')).rejects.toBeInstanceOf(MediaObjectMissing);
  });
});
