// Lets a child process run the TypeScript sources directly (as Jest does): `node -r ./test/support/ts-register.js src/main.ts`.
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');
const swcOptions = require('./swc-options');
const Module = require('node:module');
const { join } = require('node:path');

const SRC = join(__dirname, '..', '..', 'src');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request.startsWith('@/') ? join(SRC, request.slice(2)) : request, ...rest);
};

addHook(
  (code, filename) =>
    transformSync(code, { ...swcOptions, filename }).code,
  { exts: ['.ts'], ignoreNodeModules: true },
);
