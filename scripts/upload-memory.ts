/**
 * Memory during a large upload: boots the API in-process, streams a generated 100 MB video (an MP4 `ftyp` header
 * followed by zeros) to `POST /api/v1/media` over a real socket, and samples the process's RSS meanwhile.
 * Prints the peak RSS growth over the idle baseline; asserts nothing about timing.
 *
 *   DATABASE_URL=postgres://… node -r ./test/support/ts-register.js scripts/upload-memory.ts
 *
 * Without DATABASE_URL the embedded PostgreSQL under DATA_DIR is used. Media go to a temporary folder that is
 * removed at the end, with the user, its media and the upload's outbox event.
 */
import 'reflect-metadata';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { createHttpApp, prepareDatabase, resolveDatabase } from '../src/bootstrap';
import { loadConfig } from '../src/common/config/load-config';
import { createPino } from '../src/common/logging/logger';
import { AuthService } from '../src/modules/auth/auth.service';
import { User } from '../src/modules/users/entities/user.entity';

const FILE_BYTES = Number(process.env.UPLOAD_MB ?? 100) * 1024 * 1024;
const CHUNK = 64 * 1024;
const MB = 1024 * 1024;

function mp4Header(): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32BE(32, 0);
  header.write('ftypisom', 4, 'latin1');
  header.writeUInt32BE(0x200, 12);
  header.write('isomiso2avc1mp41', 16, 'latin1');
  return header;
}

/** Sends `fileBytes` as a multipart upload, written chunk by chunk with backpressure (the client never holds it either). */
function uploadOverSocket(port: number, token: string, fileBytes: number): Promise<{ status: number; body: string }> {
  const boundary = `x18-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/media',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + fileBytes + tail.length),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const zeros = Buffer.alloc(CHUNK);
    let sent = 0;
    const pump = () => {
      while (sent < fileBytes) {
        const size = Math.min(CHUNK, fileBytes - sent);
        const chunk = sent === 0 ? Buffer.concat([head, mp4Header(), zeros.subarray(0, size - 32)]) : zeros.subarray(0, size);
        sent += size;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'x18-upload-memory-'));
  const config = loadConfig({ ...process.env, APP_ROLE: 'api', LOG_LEVEL: 'warn', MEDIA_DIR: join(dataDir, 'media'), DATA_DIR: process.env.DATA_DIR ?? dataDir });
  const database = await resolveDatabase(config);
  const app = await createHttpApp(config, database.url, createPino(config.logLevel));
  await prepareDatabase(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const em = app.get(EntityManager).fork();
  const username = `mem_${randomBytes(5).toString('hex')}`;
  const user = em.create(User, { username, email: `${username}@example.test`, passwordHash: null, displayName: username });
  await em.flush();
  const { access_token: token } = await app.get(AuthService).signIn(user, { userAgent: 'upload-memory', ip: '127.0.0.1' });

  try {
    // Warm-up: every code path loaded and every pool opened before the baseline.
    await uploadOverSocket(port, token, 2 * MB);
    global.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = Date.now();
    const answer = await uploadOverSocket(port, token, FILE_BYTES);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (answer.status !== 202) throw new Error(`upload answered ${answer.status}: ${answer.body}`);
    const media = JSON.parse(answer.body) as { size: number };
    console.log(
      `uploaded ${(media.size / MB).toFixed(0)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s (${config.media.s3 ? 's3' : 'disk'} storage); ` +
        `RSS baseline ${(baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB: +${((peak - baseline) / MB).toFixed(1)} MB`,
    );
  } finally {
    await em.execute(`delete from outbox_events where type = 'media.uploaded' and payload->>'userId' = ?`, [user.id]);
    await em.nativeDelete(User, { id: user.id });
    await app.close();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
