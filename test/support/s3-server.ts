import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from './free-port';

// The SDK's notice about its future Node 22 requirement is for operators (see docs/media.md), not test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** A request as it reached the server: `PUT part`, `POST complete`… (see `operation`), with its query and headers. */
export interface S3Request {
  method: string;
  key: string;
  operation: string;
  query: URLSearchParams;
  range?: string;
}

/** What an S3 request does, from its method and query (the SDK's path-style requests). */
function operation(method: string, query: URLSearchParams): string {
  if (method === 'POST' && query.has('uploads')) return 'create multipart';
  if (method === 'PUT' && query.has('partNumber')) return 'upload part';
  if (method === 'POST' && query.has('uploadId')) return 'complete multipart';
  if (method === 'DELETE' && query.has('uploadId')) return 'abort multipart';
  return `${method} object`;
}

/**
 * A real S3-compatible server (`s3rver`: the S3 REST API over HTTP, objects on disk; it checks the access key
 * id but does not verify SigV4 signatures) in-process, on a
 * free loopback port and a temporary folder of its own, with one bucket. It records the requests it receives, so a
 * test can see what went over the wire (single PUT or multipart parts, Range reads, deletes).
 *
 * Not imitated by s3rver: `AbortMultipartUpload` (answered `405 MethodNotAllowed`); the parts of an aborted upload stay
 * in its folder until `stop()`, which deletes the folder. An abort is still visible in `requests`.
 */
export class TestS3Server {
  static readonly ACCESS_KEY_ID = 'S3RVER';
  static readonly SECRET_ACCESS_KEY = 'S3RVER';
  readonly requests: S3Request[] = [];
  private server?: S3rver;

  private constructor(
    readonly port: number,
    readonly directory: string,
    readonly bucket: string,
  ) {}

  static async start(bucket = 'media'): Promise<TestS3Server> {
    const s3 = new TestS3Server(await freePort(), await mkdtemp(join(tmpdir(), 'x18-s3rver-')), bucket);
    s3.server = new S3rver({ address: '127.0.0.1', port: s3.port, directory: s3.directory, silent: true, configureBuckets: [{ name: bucket }] });
    await s3.server.run();
    const http = (s3.server as unknown as { httpServer: Server }).httpServer;
    http.prependListener('request', (req: IncomingMessage) => s3.record(req));
    return s3;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The app's variables for this server (`S3_*`, see docs/configuration.md). */
  get env(): Record<string, string> {
    return {
      S3_ENDPOINT: this.endpoint,
      S3_BUCKET: this.bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: TestS3Server.ACCESS_KEY_ID,
      S3_SECRET_ACCESS_KEY: TestS3Server.SECRET_ACCESS_KEY,
    };
  }

  /** The driver's options (`S3StorageOptions`) for this server. */
  get options() {
    return {
      bucket: this.bucket,
      region: 'us-east-1',
      endpoint: this.endpoint,
      accessKeyId: TestS3Server.ACCESS_KEY_ID,
      secretAccessKey: TestS3Server.SECRET_ACCESS_KEY,
    };
  }

  /** The requests so far that did `operation`, optionally only those on `key`. */
  seen(op: string, key?: string): S3Request[] {
    return this.requests.filter((r) => r.operation === op && (key === undefined || r.key === key));
  }

  /** Every key in the bucket, listed through the S3 API itself (ListObjectsV2, all pages). */
  async keys(): Promise<string[]> {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: TestS3Server.ACCESS_KEY_ID, secretAccessKey: TestS3Server.SECRET_ACCESS_KEY },
    });
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    } finally {
      client.destroy();
    }
  }

  /** Multipart uploads begun and neither completed nor cleaned up (s3rver keeps their parts in a folder each). */
  async openUploads(): Promise<string[]> {
    const dir = join(this.directory, this.bucket, '._S3rver_uploads');
    return readdir(dir).catch(() => []);
  }

  async stop(): Promise<void> {
    await this.server?.close().catch(() => undefined);
    await rm(this.directory, { recursive: true, force: true });
  }

  private record(req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', this.endpoint);
    const prefix = `/${this.bucket}/`;
    const key = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : '';
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    this.requests.push({ method: req.method ?? '', key, operation: operation(req.method ?? '', url.searchParams), query: url.searchParams, range });
  }
}
