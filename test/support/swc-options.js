// The one SWC setting for running our TypeScript without a build: Jest's transform and child processes
// (test/support/ts-register.js) compile the sources the same way (decorators with metadata, as Nest needs).
module.exports = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
