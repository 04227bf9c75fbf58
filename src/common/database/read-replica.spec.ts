import type { EntityManager } from '@mikro-orm/postgresql';
import { executeOnReplica, isReplicaTrouble } from './read-replica';

function fakeEm(options: { replicas: boolean; inTransaction?: boolean; replicaError?: unknown }) {
  const primary = { execute: jest.fn(async () => [{ from: 'primary' }]) };
  const replica = {
    execute: jest.fn(async () => {
      if (options.replicaError) throw options.replicaError;
      return [{ from: 'replica' }];
    }),
  };
  const em = {
    isInTransaction: () => options.inTransaction ?? false,
    getConnection: (type: 'read' | 'write') => (type === 'read' && options.replicas ? replica : primary),
    execute: jest.fn(async () => [{ from: 'primary' }]),
  };
  return { em: em as unknown as EntityManager, raw: em, replica };
}

describe(executeOnReplica.name, () => {
  it('reads from a replica when there is one', async () => {
    const { em, replica } = fakeEm({ replicas: true });
    expect(await executeOnReplica(em, 'select 1')).toEqual([{ from: 'replica' }]);
    expect(replica.execute).toHaveBeenCalledWith('select 1', [], 'all');
  });

  it('reads from the primary without replicas, and inside a transaction (its own snapshot)', async () => {
    expect(await executeOnReplica(fakeEm({ replicas: false }).em, 'select 1')).toEqual([{ from: 'primary' }]);
    const inTransaction = fakeEm({ replicas: true, inTransaction: true });
    expect(await executeOnReplica(inTransaction.em, 'select 1')).toEqual([{ from: 'primary' }]);
    expect(inTransaction.replica.execute).not.toHaveBeenCalled();
  });

  it('falls back to the primary when the replica is unreachable or cancels the query for recovery', async () => {
    for (const error of [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), Object.assign(new Error('conflict'), { code: '40001' })]) {
      expect(await executeOnReplica(fakeEm({ replicas: true, replicaError: error }).em, 'select 1')).toEqual([{ from: 'primary' }]);
    }
  });

  it('does not repeat a query that would fail on the primary too', async () => {
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    const { em, raw } = fakeEm({ replicas: true, replicaError: syntax });
    await expect(executeOnReplica(em, 'selec 1')).rejects.toBe(syntax);
    expect(raw.execute).not.toHaveBeenCalled();
  });
});

describe(isReplicaTrouble.name, () => {
  it('tells connection trouble and recovery conflicts from query errors', () => {
    expect(['08006', '57P01', '57P03', '53300', '40001', 'ECONNRESET', undefined].map((code) => isReplicaTrouble({ code }))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['42601', '57014', '23505'].map((code) => isReplicaTrouble({ code }))).toEqual([false, false, false]);
  });
});
