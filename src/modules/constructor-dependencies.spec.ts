import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * No Nest class (service, controller, processor) takes more than six constructor dependencies (docs/STYLE: "at most
 * ~6"). A seventh usually means the class serves two use cases: split it by use case rather than raising the limit.
 */
const MAX_DEPENDENCIES = 6;
const SRC = join(__dirname, '..');
const NEST_DECORATORS = new Set(['Injectable', 'Controller', 'Processor']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [],
  );
}

function decoratorName(decorator: ts.Decorator): string | undefined {
  const call = decorator.expression;
  return ts.isCallExpression(call) && ts.isIdentifier(call.expression) ? call.expression.text : undefined;
}

/** `path ClassName` -> number of constructor parameters, for every class with a Nest decorator. */
function constructorDependencies(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files(SRC)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    source.forEachChild((node) => {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      const decorators = ts.getDecorators(node) ?? [];
      if (!decorators.some((d) => NEST_DECORATORS.has(decoratorName(d) ?? ''))) return;
      const ctor = node.members.find(ts.isConstructorDeclaration);
      counts.set(`${relative(SRC, file)} ${node.name.text}`, ctor?.parameters.length ?? 0);
    });
  }
  return counts;
}

describe('constructor dependencies', () => {
  const counts = constructorDependencies();

  it('sees the Nest classes', () => {
    expect(counts.get('modules/posts/posts.service.ts PostsService')).toBeGreaterThan(0);
  });

  it(`keeps every service, controller and processor at ${MAX_DEPENDENCIES} or fewer`, () => {
    const over = [...counts].filter(([, n]) => n > MAX_DEPENDENCIES).map(([name, n]) => `${name}: ${n}`);
    expect(over).toEqual([]);
  });
});
