import { DriverException, SyntaxErrorException } from '@mikro-orm/core';
import { resolveError } from './problem.filter';

const driverError = (message: string, code?: string) => new DriverException(Object.assign(new Error(message), code ? { code } : {}));

describe('resolveError', () => {
  it.each([
    ['a backend terminated by an admin (57P01)', driverError('terminating connection due to administrator command', '57P01')],
    ['too many connections (53300)', driverError('sorry, too many clients already', '53300')],
    ['a connection exception (08006)', driverError('connection failure', '08006')],
    ['a socket that died under the query', driverError('select 1 - Connection terminated unexpectedly')],
    ['a failed COMMIT, passed on as the driver Error', new Error('COMMIT; - Client has encountered a connection error and is not queryable')],
    ['the next statement of a transaction whose connection died', driverError('Transaction query already complete, run with DEBUG=knex:tx for more info')],
    ['a pool with no connection to give', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' })],
    ['a refused connection', driverError('connect ECONNREFUSED 127.0.0.1:5432')],
  ])('answers %s with 503 service_unavailable', (_, error) => {
    expect(resolveError(error)).toMatchObject({ status: 503, code: 'service_unavailable' });
  });

  it('answers a statement that ran past statement_timeout (57014) with 503, retry later', () => {
    expect(resolveError(driverError('canceling statement due to statement timeout', '57014'))).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      detail: 'The database did not answer in time; retry later',
    });
  });

  it('answers other database errors with 500 internal', () => {
    expect(resolveError(new SyntaxErrorException(Object.assign(new Error('syntax error at or near ")"'), { code: '42601' })))).toMatchObject({
      status: 500,
      code: 'internal',
      detail: 'Internal error',
    });
  });

  it('answers a multipart body without a boundary with 400 validation_failed', () => {
    expect(resolveError(new Error('Multipart: Boundary not found'))).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('answers Redis being down with 503, naming no database', () => {
    expect(resolveError(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      detail: 'A backing service is unavailable; retry later',
    });
  });
});
