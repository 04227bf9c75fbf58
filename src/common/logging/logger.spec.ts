import { PassThrough } from 'node:stream';
import { createPino, logDestination, wantsPrettyLogs } from './logger';

/** Everything written to `stream` so far, once pino and pino-pretty have flushed. */
async function written(stream: PassThrough): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve));
  return stream.read()?.toString() ?? '';
}

describe('log format', () => {
  it.each<[string | undefined, boolean | undefined, boolean]>([
    ['development', true, true],
    [undefined, true, true],
    ['development', false, false],
    ['development', undefined, false],
    ['production', true, false],
    ['test', true, false],
    ['production', false, false],
  ])('NODE_ENV=%s, stdout a TTY: %s → pretty: %s', (nodeEnv, tty, pretty) => {
    expect(wantsPrettyLogs(nodeEnv, tty)).toBe(pretty);
  });

  it('writes JSON lines when not pretty (production, or output not a terminal)', () => {
    expect(logDestination('production', true)).toBeUndefined();
    expect(logDestination('development', false)).toBeUndefined();
  });

  it('writes readable lines through pino-pretty in development on a terminal, still redacted', async () => {
    const out = new PassThrough();
    const logger = createPino('info', logDestination('development', true, out));
    logger.info({ login: { password: 'secret-password' } }, 'hello there');
    const text = await written(out);
    expect(text).toMatch(/INFO.*hello there/);
    expect(text.trimStart().startsWith('{')).toBe(false);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('secret-password');
  });
});
