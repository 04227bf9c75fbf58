import Module from 'node:module';
import { join } from 'node:path';

/**
 * Jest's moduleNameMapper does not apply to globalSetup/globalTeardown, which load src/ too:
 * resolve the `@/` alias for them the same way.
 */
const SRC = join(__dirname, '..', '..', 'src');
const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = resolver._resolveFilename;
resolver._resolveFilename = function (request: string, ...rest: unknown[]) {
  return original.call(this, request.startsWith('@/') ? join(SRC, request.slice(2)) : request, ...rest);
};
