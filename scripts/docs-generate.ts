/**
 * The parts of the docs that are facts about the code, written from the code so that they cannot drift:
 *
 *   npm run docs:generate   rewrites each part between `<!-- generated:NAME:start -->` and `<!-- generated:NAME:end -->`
 *                           in README.md and docs/*.md
 *   npm run docs:check      (in `npm run lint`) fails when a page differs from what generate would write, or when
 *                           README.md's module map has no row for a module
 *
 * Parts: `events` (each domain event, who records it, who handles it), `queues` (each queue's jobs and settings),
 * `module-map` (each module's Nest modules, tables, imports, ports and events) and `module-graph` (the same as a
 * Mermaid graph). Nothing is listed by hand here: the TypeScript compiler reads src/ (our files only: following our own
 * classes and calls needs no library's types), and the registries (events, queues) are loaded as the app loads them.
 * - A module is a folder under src/modules holding a `@Module` class; a file belongs to the deepest such folder.
 * - Its dependencies are the modules whose `@Module` classes its own import (in the decorator or a `forRoot`).
 * - It implements a port of another module when it provides (`provide:`) a token that module declares.
 * - It owns the tables of the `@Entity` classes in its folder.
 * - An event is recorded where an `OutboxService` method is called with its type, and handled by the methods that
 *   `@OnDomainEvent` decorates, whose subscriber name and queue are read back from the decorator's metadata at run time.
 *
 * `--docs DIR` reads and writes README.md and docs/ under DIR instead of the repository's (the test's scratch copy).
 */
import 'reflect-metadata';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';
import { DOMAIN_EVENT_TYPES, DomainEventType } from '../src/common/outbox/domain-events';
import { DOMAIN_EVENT_SUBSCRIBER, OnDomainEvent, SubscriberMetadata } from '../src/common/outbox/on-domain-event.decorator';
import { OutboxService } from '../src/common/outbox/outbox.service';
import { JOB_QUEUE, JobName, QUEUE_SETTINGS, QueueName } from '../src/common/queue/queue-names';

const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');
const MODULES = join(SRC, 'modules');
const COMMON = 'common';

interface ModuleInfo {
  nestModules: string[];
  tables: string[];
  imports: Set<string>;
  /** consumer module -> tokens of its ports this module provides */
  ports: Map<string, Set<string>>;
}

interface Recorder {
  module: string;
  /** The public method that records it for other modules (`MailService.request`), with the modules that call it. */
  through?: { method: string; callers: Set<string> };
}

interface Handler {
  module: string;
  subscriber: string;
  queue: string;
  method: string;
}

interface Code {
  modules: Map<string, ModuleInfo>;
  commonTables: string[];
  recorders: Map<DomainEventType, Recorder[]>;
  handlers: Map<DomainEventType, Handler[]>;
  /** queue -> what its `QueueName` member's comment says it is for */
  queueDocs: Map<string, string>;
}

// ---------------------------------------------------------------------------------------------------- reading the code

function sourceProgram(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const files = config.fileNames.filter((file) => file.startsWith(SRC + sep) && !file.endsWith('.spec.ts'));
  return ts.createProgram(files, { ...config.options, noResolve: true, types: [], incremental: false, noEmit: true });
}

function descendants(node: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The call of `@name(...)` among a node's decorators. */
function decorator(node: ts.Node, name: string): ts.CallExpression | undefined {
  if (!ts.canHaveDecorators(node)) return undefined;
  return ts
    .getDecorators(node)
    ?.map((d) => d.expression)
    .find((e): e is ts.CallExpression => ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === name);
}

function property(object: ts.Node | undefined, name: string): ts.Expression | undefined {
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  const found = object.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === name);
  return found?.initializer;
}

function stringLiterals(type: ts.Type): string[] {
  if (type.isUnion()) return type.types.flatMap(stringLiterals);
  return type.isStringLiteral() ? [type.value] : [];
}

function where(node: ts.Node): string {
  const file = node.getSourceFile();
  return `${relative(ROOT, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

/** Our sources as the compiler sees them, with the question every reading asks: which module is this node in? */
class Sources {
  readonly checker: ts.TypeChecker;
  readonly nodes: ts.Node[];
  /** Module folders (relative to src/modules), deepest first so that accounts/tokens' files are not accounts'. */
  readonly folders: string[];

  constructor(program: ts.Program) {
    this.checker = program.getTypeChecker();
    this.nodes = program.getSourceFiles().filter((f) => f.fileName.startsWith(SRC + sep)).flatMap(descendants);
    const dirs = this.moduleClasses().map((c) => dirname(c.getSourceFile().fileName));
    this.folders = [...new Set(dirs.filter((d) => d.startsWith(MODULES + sep)).map((d) => relative(MODULES, d)))].sort((a, b) => b.length - a.length);
  }

  moduleClasses(): ts.ClassDeclaration[] {
    return this.nodes.filter(ts.isClassDeclaration).filter((c) => decorator(c, 'Module'));
  }

  ownerOf(node: ts.Node): string | undefined {
    const file = node.getSourceFile().fileName;
    if (file.startsWith(join(SRC, COMMON) + sep)) return COMMON;
    return this.folders.find((f) => file.startsWith(join(MODULES, f) + sep));
  }

  declarationOf(node: ts.Node): ts.Declaration | undefined {
    let symbol = this.checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol?.declarations?.[0];
  }

  /**
   * The `@Module` classes an `imports` list names: `UsersModule`, `UsersModule.forRoot(…)`, a constant's or a
   * condition's arrays. A parameter (`...ports`) is bound by the app root: those are ports, read from `provide:`.
   */
  moduleClassesIn(e: ts.Expression): ts.ClassDeclaration[] {
    if (ts.isArrayLiteralExpression(e)) return e.elements.flatMap((x) => this.moduleClassesIn(x));
    if (ts.isSpreadElement(e) || ts.isParenthesizedExpression(e)) return this.moduleClassesIn(e.expression);
    if (ts.isConditionalExpression(e)) return [...this.moduleClassesIn(e.whenTrue), ...this.moduleClassesIn(e.whenFalse)];
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) return this.moduleClassesIn(e.expression.expression);
    const declaration = ts.isIdentifier(e) ? this.declarationOf(e) : undefined;
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) return this.moduleClassesIn(declaration.initializer);
    return declaration && ts.isClassDeclaration(declaration) && decorator(declaration, 'Module') ? [declaration] : [];
  }

  calls(): (ts.CallExpression & { expression: ts.PropertyAccessExpression })[] {
    return this.nodes.filter((n): n is ts.CallExpression & { expression: ts.PropertyAccessExpression } => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression));
  }
}

function readModules(src: Sources): Map<string, ModuleInfo> {
  const modules = new Map<string, ModuleInfo>([...src.folders].sort().map((f) => [f, { nestModules: [], tables: [], imports: new Set(), ports: new Map() }]));
  for (const cls of src.moduleClasses()) {
    const owner = src.ownerOf(cls);
    const info = owner && modules.get(owner);
    if (!info) continue; // the app root and src/common's infrastructure
    const assignments = descendants(cls).filter(ts.isPropertyAssignment);
    const global = !!decorator(cls, 'Global') || assignments.some((n) => n.name.getText() === 'global' && n.initializer.kind === ts.SyntaxKind.TrueKeyword);
    if (ts.getCombinedModifierFlags(cls) & ts.ModifierFlags.Export) info.nestModules.push(`\`${cls.name!.text}\`${global ? ' (global)' : ''}`);
    for (const n of assignments.filter((a) => a.name.getText() === 'imports')) {
      for (const imported of src.moduleClassesIn(n.initializer).map((c) => src.ownerOf(c))) {
        if (imported && imported !== owner && modules.has(imported)) info.imports.add(imported);
      }
    }
    for (const n of assignments.filter((a) => a.name.getText() === 'provide')) {
      const declaration = src.declarationOf(n.initializer);
      const consumer = declaration && src.ownerOf(declaration);
      if (consumer && consumer !== owner && modules.has(consumer)) info.ports.set(consumer, new Set([...(info.ports.get(consumer) ?? []), n.initializer.getText()]));
    }
  }
  return modules;
}

/** Tables by owner (a module, or `common`): the `tableName` of each `@Entity`. */
function readTables(src: Sources): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  for (const cls of src.nodes.filter(ts.isClassDeclaration)) {
    const table = property(decorator(cls, 'Entity')?.arguments[0], 'tableName');
    const owner = src.ownerOf(cls);
    if (table && ts.isStringLiteral(table) && owner) tables.set(owner, [...(tables.get(owner) ?? []), `\`${table.text}\``].sort());
  }
  return tables;
}

/** Where events are recorded: calls of OutboxService's methods, by the literal type they pass. */
function readRecorders(src: Sources): Map<DomainEventType, Recorder[]> {
  const recorders = new Map<DomainEventType, Recorder[]>();
  const throughs = new Map<ts.MethodDeclaration, NonNullable<Recorder['through']>>();
  for (const call of src.calls()) {
    const method = src.declarationOf(call.expression.name);
    if (!method || !ts.isMethodDeclaration(method) || !ts.isClassDeclaration(method.parent) || method.parent.name?.text !== OutboxService.name) continue;
    const index = method.parameters.findIndex((p) => p.name.getText() === 'type');
    const types = stringLiterals(src.checker.getTypeAtLocation(call.arguments[index])) as DomainEventType[];
    if (!types.length) throw new Error(`${where(call)}: which event does this record? Pass its type as a string literal.`);
    const module = src.ownerOf(call) ?? relative(ROOT, call.getSourceFile().fileName);
    const enclosing = ts.findAncestor(call, ts.isMethodDeclaration);
    const owner = enclosing && ts.isClassDeclaration(enclosing.parent) ? enclosing.parent.name?.text : undefined;
    const isPublic = enclosing && !(ts.getCombinedModifierFlags(enclosing) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
    const through = enclosing && owner && isPublic ? (throughs.get(enclosing) ?? { method: `${owner}.${enclosing.name.getText()}`, callers: new Set<string>() }) : undefined;
    if (enclosing && through) throughs.set(enclosing, through);
    for (const type of types) {
      const list = recorders.get(type) ?? [];
      if (!list.some((r) => r.module === module && r.through === through)) recorders.set(type, [...list, { module, through }]);
    }
  }
  // Who calls a recording method from another module (mail's `request` records `mail.requested` for every feature).
  const names = new Set([...throughs.keys()].map((d) => d.name.getText()));
  for (const call of src.calls().filter((c) => names.has(c.expression.name.text))) {
    const through = throughs.get(src.declarationOf(call.expression.name) as ts.MethodDeclaration);
    const caller = src.ownerOf(call);
    if (through && caller) through.callers.add(caller);
  }
  for (const r of [...recorders.values()].flat()) {
    r.through?.callers.delete(r.module);
    if (!r.through?.callers.size) r.through = undefined;
  }
  return recorders;
}

/** Who handles them: the methods `@OnDomainEvent` decorates, with the metadata the worker reads at start-up. */
async function readHandlers(src: Sources): Promise<Map<DomainEventType, Handler[]>> {
  const handlers = new Map<DomainEventType, Handler[]>();
  for (const method of src.nodes.filter(ts.isMethodDeclaration).filter((m) => decorator(m, OnDomainEvent.name))) {
    const cls = (method.parent as ts.ClassDeclaration).name!.text;
    const name = method.name.getText();
    const exported = ((await import(method.getSourceFile().fileName)) as Record<string, { prototype: Record<string, object> } | undefined>)[cls];
    const metadata = exported && (Reflect.getMetadata(DOMAIN_EVENT_SUBSCRIBER, exported.prototype[name]) as SubscriberMetadata | undefined);
    if (!metadata) throw new Error(`${where(method)}: no subscriber metadata on ${cls}.${name} (is the class exported?)`);
    for (const type of metadata.types) {
      const handler = { module: src.ownerOf(method)!, subscriber: metadata.subscriber, queue: metadata.queue, method: `${cls}.${name}` };
      handlers.set(type, [...(handlers.get(type) ?? []), handler]);
    }
  }
  return handlers;
}

/** What each queue is for: its `QueueName` member's comment. */
function readQueueDocs(src: Sources): Map<string, string> {
  const docs = new Map<string, string>();
  for (const e of src.nodes.filter(ts.isEnumDeclaration).filter((e) => e.name.text === 'QueueName')) {
    for (const member of e.members) {
      const doc = src.checker.getSymbolAtLocation(member.name)?.getDocumentationComment(src.checker);
      if (member.initializer && ts.isStringLiteral(member.initializer) && doc) docs.set(member.initializer.text, ts.displayPartsToString(doc));
    }
  }
  return docs;
}

async function readCode(): Promise<Code> {
  const src = new Sources(sourceProgram());
  const modules = readModules(src);
  const tables = readTables(src);
  for (const [name, m] of modules) m.tables = tables.get(name) ?? [];
  return { modules, commonTables: tables.get(COMMON) ?? [], recorders: readRecorders(src), handlers: await readHandlers(src), queueDocs: readQueueDocs(src) };
}

// ------------------------------------------------------------------------------------------------------ the parts

const list = (items: Iterable<string>, none = ''): string => [...items].join(', ') || none;
const row = (cells: string[]): string => `|${cells.map((c) => (c ? ` ${c} ` : ' ')).join('|')}|`;
const seconds = (ms: number): string => `${(ms / 1000).toLocaleString('en-US')} s`;

function eventsTable(code: Code): string {
  const rows = DOMAIN_EVENT_TYPES.flatMap((type) => {
    const recordedBy = list(
      (code.recorders.get(type) ?? []).map((r) => (r.through ? `${r.module} (\`${r.through.method}\`, for ${list([...r.through.callers].sort())})` : r.module)),
      'nothing records it',
    );
    const handlers = code.handlers.get(type) ?? [];
    if (!handlers.length) return [row([`\`${type}\``, recordedBy, 'none: a worker refuses to start', ''])];
    return handlers.map((h) => row([`\`${type}\``, recordedBy, `\`${h.subscriber}\` (\`${h.queue}\`)`, `${h.module}: \`${h.method}\``]));
  });
  return ['| Event | Recorded by | Subscriber (`name`, queue) | Handler (module: method) |', '|---|---|---|---|', ...rows].join('\n');
}

/** Modules from the bottom of the graph up (a module after those it imports), alphabetical among equals. */
function layered(code: Code): string[] {
  const done: string[] = [];
  const left = new Set(code.modules.keys());
  while (left.size) {
    const ready = [...left].filter((m) => [...code.modules.get(m)!.imports].every((i) => !left.has(i)));
    const next = ready.length ? ready : [...left]; // a cycle (module-graph.spec.ts refuses one): list the rest
    for (const m of next.sort()) {
      done.push(m);
      left.delete(m);
    }
  }
  return done;
}

function eventsOf(code: Code, module: string): { records: string[]; handles: string[] } {
  const types = (map: Map<DomainEventType, { module: string }[]>): string[] => DOMAIN_EVENT_TYPES.filter((t) => map.get(t)?.some((x) => x.module === module)).map((t) => `\`${t}\``);
  return { records: types(code.recorders), handles: types(code.handlers) };
}

function moduleMap(code: Code): string {
  const rows = layered(code).map((name) => {
    const m = code.modules.get(name)!;
    const ports = [...m.ports].map(([consumer, tokens]) => `${consumer} (${list([...tokens].map((t) => `\`${t}\``))})`);
    const { records, handles } = eventsOf(code, name);
    return row([`\`${name}\``, list(m.nestModules), list(m.tables, 'none'), list([...m.imports].sort(), 'none'), list(ports), list(records), list(handles)]);
  });
  return [
    '| Module (`src/modules/…`) | Nest module | Owns (tables) | Imports (Nest modules of) | Implements ports of | Records events | Handles events |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    row(['`src/common` (not a module)', '', list(code.commonTables), '', '', '', '']),
  ].join('\n');
}

function moduleGraph(code: Code): string {
  const id = (name: string): string => name.replace(/\W/g, '_');
  const lines = layered(code).map((name) => `  ${id(name)}${id(name) === name ? '' : `["${name}"]`}`);
  for (const [name, m] of code.modules) {
    for (const imported of [...m.imports].sort()) lines.push(`  ${id(name)} --> ${id(imported)}`);
    for (const [consumer, tokens] of m.ports) lines.push(`  ${id(name)} -. "implements ${list(tokens)}" .-> ${id(consumer)}`);
  }
  return ['```mermaid', 'graph TD', ...lines, '```'].join('\n');
}

/** Each queue: its `QueueName` comment, its jobs (the subscribers that chose it, `JOB_QUEUE`'s) and `QUEUE_SETTINGS`. */
function queuesTable(code: Code): string {
  const subscribers = [...code.handlers.values()].flat();
  const rows = Object.values(QueueName).map((queue) => {
    const names = [...new Set(subscribers.filter((h) => h.queue === queue).map((h) => `\`${h.subscriber}\``))];
    const direct = Object.entries(JOB_QUEUE).filter(([, q]) => q === queue).map(([job]) => `\`${job}\``);
    const jobs = [...(names.length ? [`\`${JobName.DomainEvent}\` for ${list(names)}`] : []), ...direct];
    const s = QUEUE_SETTINGS[queue];
    const kept = `${s.keepCompleted.toLocaleString('en-US')} completed, ${s.keepFailed.toLocaleString('en-US')} failed`;
    return row([`\`${queue}\``, code.queueDocs.get(queue) ?? '', list(jobs, 'none'), String(s.concurrency), `${s.attempts} (from ${seconds(s.backoffMs)})`, seconds(s.lockMs), kept]);
  });
  return ['| Queue | For | Jobs | Concurrency | Attempts (exponential backoff) | Lock | Kept |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

const PARTS: Record<string, (code: Code) => string> = { events: eventsTable, queues: queuesTable, 'module-map': moduleMap, 'module-graph': moduleGraph };

// ------------------------------------------------------------------------------------------------------ the pages

const PART = /(<!-- generated:([a-z-]+):start -->\n)[\s\S]*?(<!-- generated:\2:end -->)/g;
const NOTICE = '<!-- Written by `npm run docs:generate` from the code: change the code, then run it. Do not edit by hand. -->';

function pages(docsRoot: string): string[] {
  const docs = join(docsRoot, 'docs');
  return [join(docsRoot, 'README.md'), ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f))];
}

/** The page with its parts rewritten, and problems that generating cannot fix. */
function rewrite(page: string, text: string, code: Code, seen: Set<string>, problems: string[]): string {
  return text.replace(PART, (_all, start: string, name: string, end: string) => {
    seen.add(name);
    if (!PARTS[name]) {
      problems.push(`${page}: unknown generated part "${name}" (known: ${Object.keys(PARTS).join(', ')})`);
      return _all;
    }
    return `${start}${NOTICE}\n\n${PARTS[name](code)}\n\n${end}`;
  });
}

/** README.md's "Module map" names every module's folder, so a new module cannot go unmentioned. */
function readmeProblems(readme: string, text: string, code: Code): string[] {
  const section = /^## Module map\n([\s\S]*?)(?=^## )/m.exec(text)?.[1];
  if (section === undefined) return [`${readme}: no "## Module map" section`];
  return [...code.modules.keys()]
    .filter((m) => !section.includes(`\`src/modules/${m}\``))
    .map((m) => `${readme}: the module map has no row for \`src/modules/${m}\`. Add one saying what the module holds.`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...options] = argv;
  const docsAt = options.indexOf('--docs');
  const docsRoot = docsAt >= 0 ? options[docsAt + 1] : ROOT;
  if ((command !== 'generate' && command !== 'check') || !docsRoot) {
    console.error('usage: docs-generate.ts generate|check [--docs DIR]');
    return 2;
  }
  const code = await readCode();
  const problems: string[] = [];
  const stale: string[] = [];
  const seen = new Set<string>();
  for (const page of pages(docsRoot)) {
    const shown = relative(docsRoot, page);
    const text = readFileSync(page, 'utf8');
    const next = rewrite(shown, text, code, seen, problems);
    if (shown === 'README.md') problems.push(...readmeProblems(shown, text, code));
    if (next === text) continue;
    if (command === 'generate') writeFileSync(page, next);
    stale.push(shown);
  }
  for (const name of Object.keys(PARTS).filter((n) => !seen.has(n))) {
    problems.push(`no page holds the generated part "${name}": put <!-- generated:${name}:start --> and <!-- generated:${name}:end --> where it belongs`);
  }
  if (command === 'generate') console.log(stale.length ? `rewrote ${stale.join(', ')}` : 'the generated parts were up to date');
  else if (stale.length) {
    for (const page of stale) console.error(`${page} is stale: a generated part no longer matches the code. Run: npm run docs:generate`);
  } else console.log('the generated parts of the docs match the code');
  for (const problem of problems) console.error(problem);
  return problems.length || (command === 'check' && stale.length) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
