import { closeLeftoverApps } from './leftover-apps';
import { LEFTOVER_TIMEOUT_MS } from './app-timeouts';

// The file's last hook (root level, declared before the suite's own): close the apps its suites left running, so
// Jest can exit after a hook timeout (see leftover-apps.ts).
afterAll(async () => {
  const count = await closeLeftoverApps();
  if (count) console.warn(`closed ${count} test app(s) left open by this file (a boot that outlived its hook, or a missing close)`);
}, LEFTOVER_TIMEOUT_MS);
