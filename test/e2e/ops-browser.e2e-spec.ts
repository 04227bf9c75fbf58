import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { QueueName } from '@/common/queue/queue-names';
import { createAdmin, PASSWORD } from '../factories/users';
import { useTestApp } from '../support/app';

/** Debian's package; CI installs it (`.ci/run`). Playwright never downloads a browser here. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', '..', 'test-artifacts', 'admin-queues.png');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`ops-browser: SKIPPED, ${CHROMIUM} not found (apt-get install -y chromium)`);
const describeWithBrowser = hasChromium ? describe : describe.skip;

describeWithBrowser('Queue dashboard in a browser', () => {
  const t = useTestApp();
  let baseUrl: string;
  let profileDir: string;

  beforeAll(async () => {
    baseUrl = `http://127.0.0.1:${await t.listen()}`;
    profileDir = mkdtempSync(join(tmpdir(), 'x18-chromium-'));
  });

  afterAll(() => {
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('renders every queue for an admin signed in with HTTP Basic', async () => {
    const admin = await createAdmin(t);
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      httpCredentials: { username: admin.username, password: PASSWORD },
      viewport: { width: 1280, height: 800 },
    });
    try {
      // The board links a web font from Google; the test stays offline.
      await context.route((url) => url.origin !== baseUrl, (route) => route.abort());
      const page = context.pages()[0] ?? (await context.newPage());
      const response = await page.goto(`${baseUrl}/admin/queues`, { waitUntil: 'domcontentloaded', timeout: 20_000 });
      expect(response?.status()).toBe(200);
      // Each queue shows twice once the board has loaded its data: in the menu and as an overview card.
      for (const queue of Object.values(QueueName)) {
        await page.getByText(queue, { exact: true }).nth(1).waitFor({ state: 'visible', timeout: 20_000 });
      }
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await context.close();
    }
  }, 60_000);
});
