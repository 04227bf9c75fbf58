import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The module graph has no cycle (docs/module-boundaries.md). Lint keeps imports to each module's public API; this
 * checks the public calls themselves only ever point one way. Entity imports are left out: relations mirror foreign
 * keys, which may point both ways (users.avatar_media_id, media.user_id). Type-only imports are left out too.
 */
const MODULES = __dirname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [],
  );
}

function moduleOf(path: string): string | undefined {
  const rel = relative(MODULES, path);
  return rel.startsWith('..') || !rel.includes('/') ? undefined : rel.split('/')[0];
}

/** module -> module -> one importing file and specifier, as evidence */
function graph(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files(MODULES)) {
    const from = moduleOf(file)!;
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = match[1];
      const target = spec.startsWith('@/') ? resolve(MODULES, '..', spec.slice(2)) : spec.startsWith('.') ? resolve(dirname(file), spec) : undefined;
      const to = target && moduleOf(target);
      if (!to || to === from || /\/entities\//.test(target)) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from)!.set(to, `${relative(MODULES, file)} imports ${spec}`);
    }
  }
  return edges;
}

function findCycle(edges: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('module graph', () => {
  const edges = graph();

  it('sees the imports between modules', () => {
    expect(edges.get('posts')?.has('users')).toBe(true);
    expect(edges.get('timelines')?.has('posts')).toBe(true);
  });

  it('has no cycle (entity relations aside)', () => {
    const cycle = findCycle(edges);
    const evidence = cycle?.slice(1).map((to, i) => edges.get(cycle[i])!.get(to));
    expect(evidence).toBeUndefined();
  });

  it('keeps users at the bottom and billing below posts and social', () => {
    expect([...(edges.get('users')?.keys() ?? [])]).toEqual([]);
    expect(edges.get('billing')?.has('posts')).toBeFalsy();
    expect(edges.get('billing')?.has('social')).toBeFalsy();
  });

  it('keeps billing\'s read sides (entitlements, payouts) in folders of their own, below billing and importing no module', () => {
    expect(edges.get('billing')?.has('entitlements')).toBe(true);
    expect(edges.get('billing')?.has('payouts')).toBe(true);
    expect(edges.get('posts')?.has('payouts')).toBe(true);
    expect([...(edges.get('entitlements')?.keys() ?? [])]).toEqual([]);
    expect([...(edges.get('payouts')?.keys() ?? [])]).toEqual([]);
  });
});
