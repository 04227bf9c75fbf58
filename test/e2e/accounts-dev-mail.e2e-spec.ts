import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { registration } from '../factories/users';
import { useTestApp } from '../support/app';
import { waitFor } from '../support/wait';

describe('Mail without SMTP_URL (development)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'x18-dev-mail-'));
  });
  const t = useTestApp({ redisScope: 'dev-mail', env: () => ({ DATA_DIR: dataDir, SMTP_URL: '', APP_URL: 'http://localhost:5173' }) });
  // Declared after the app, so run after it closed (Jest runs hooks in declaration order).
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes each mail as an .eml file under $DATA_DIR/mail/ whose link verifies the address', async () => {
    const body = registration();
    await t.http.post('/api/v1/auth/register').send(body).expect(201);

    // The run's database is shared: this app's relay may also write mails other suites left unsent, so find ours.
    const mailDir = join(dataDir, 'mail');
    const ours = async () => {
      const names = (await readdir(mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
      const mails = await Promise.all(names.map(async (name) => simpleParser(await readFile(join(mailDir, name)))));
      return mails.filter((m) => !Array.isArray(m.to) && m.to?.text === String(body.email));
    };
    const found = await waitFor(ours, (mails) => mails.length > 0);
    expect(found).toHaveLength(1);
    const mail = found[0];
    expect(typeof mail.html).toBe('string');
    const link = /http:\/\/localhost:5173\/verify-email\?token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '');
    expect(link).not.toBeNull();

    const verified = await t.http.post('/api/v1/auth/email/verify').send({ token: link![1] }).expect(200);
    expect(verified.body).toMatchObject({ email: body.email, email_verified: true });
  });
});
