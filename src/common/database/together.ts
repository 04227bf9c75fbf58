import type { EntityManager } from '@mikro-orm/postgresql';
import { readSql } from './request-context';
import { SqlFragment } from './sql-fragment';

/**
 * Questions asked in one round trip: each `sets` fragment is a `select id …` answered as a set of ids, each `values`
 * fragment a scalar expression (`select json_agg(…) …`) answered as its value. Fragments left undefined (nothing to
 * ask) are not sent and answer an empty set or undefined; with nothing to ask there is no query at all. The modules
 * that own the tables write the fragments (social's follows and blocks, entitlements' subscriptions and unlocks, …);
 * the caller only names the columns (keys written in our code, never input).
 */
export interface Questions {
  sets?: Record<string, SqlFragment | undefined>;
  values?: Record<string, SqlFragment | undefined>;
}

export interface Answers {
  sets: Record<string, Set<string>>;
  values: Record<string, unknown>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

export async function askTogether(em: EntityManager, questions: Questions): Promise<Answers> {
  const columns: string[] = [];
  const params: unknown[] = [];
  const setNames = Object.keys(questions.sets ?? {});
  const valueNames = Object.keys(questions.values ?? {});
  for (const [name, fragment] of Object.entries(questions.sets ?? {})) {
    if (!fragment) continue;
    if (!NAME.test(name) || valueNames.includes(name)) throw new Error(`askTogether: bad or repeated column name ${name}`);
    // text[]: node-postgres parses it everywhere (a uuid[] parser depends on the pg-types version).
    columns.push(`array(${fragment.sql})::text[] as ${name}`);
    params.push(...fragment.params);
  }
  for (const [name, fragment] of Object.entries(questions.values ?? {})) {
    if (!fragment) continue;
    if (!NAME.test(name)) throw new Error(`askTogether: bad column name ${name}`);
    columns.push(`(${fragment.sql}) as ${name}`);
    params.push(...fragment.params);
  }
  const answers: Answers = { sets: Object.fromEntries(setNames.map((n) => [n, new Set<string>()])), values: {} };
  if (!columns.length) return answers;
  const [row] = await readSql<Record<string, unknown>[]>(em, `select ${columns.join(', ')}`, params);
  for (const name of setNames) if (Array.isArray(row[name])) answers.sets[name] = new Set(row[name] as string[]);
  for (const name of valueNames) answers.values[name] = row[name];
  return answers;
}
