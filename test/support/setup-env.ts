// Suites inherit the run's environment from globalSetup; this file only pins what every suite expects.
process.env.NODE_ENV = 'test';
// Jest's per-project `testTimeout` is not honoured in multi-project mode: set it here.
jest.setTimeout(30_000);
