// Suites inherit the run's environment from globalSetup; this file only pins what every suite expects.
process.env.NODE_ENV = 'test';
