/** Two projects: fast unit specs beside the code, and e2e suites that boot the app on real PostgreSQL and Redis. */
const swc = ['@swc/jest', require('./test/support/swc-options')];
const common = {
  transform: { '^.+\\.(ts|js)$': swc },
  // ESM-only dependencies that Node 20 loads through require(esm) but Jest's sandbox cannot: compile them.
  transformIgnorePatterns: ['^(?!.*/node_modules/(content-disposition|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/).*/node_modules/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // file-type's package exports only `import` conditions, which Jest's CommonJS resolver does not follow.
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1', '^file-type$': '<rootDir>/node_modules/file-type/index.js' },
  testEnvironment: 'node',
};
module.exports = {
  /*
   * Two worker processes, each replaced after a file once it holds over 1 GB. In one process (`--runInBand`, as before)
   * every file's module registry and whatever its app left behind stayed: the heap grew past 3 GB and late files ran
   * about ten times slower than alone (accounts-dev-mail: 6 s alone, 64 s as the 60th file), so `npm test` took 28-32
   * minutes. Each file already has its own database and Redis prefix (test/support/setup-env.ts), so two run at once.
   */
  maxWorkers: 2,
  workerIdleMemoryLimit: '1GB',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/setup-env.ts'],
      // Closes the apps a file left running (a boot that outlived its hook), so Jest exits after a hook timeout.
      setupFilesAfterEnv: ['<rootDir>/test/support/after-env.ts'],
      testTimeout: 60000,
    },
  ],
};
