// Module boundaries, enforced by `npm run lint` (docs/module-boundaries.md is the prose version of this file).
//
// Each folder under src/modules is a module. Another module may import only its public API: the Nest module, its
// exported services and ports, its DTOs and its entities (entities for relations and types). Its repositories,
// processors, controllers and internal services are its own. Two rules check this:
// - `no-restricted-imports`, generated per module from PUBLIC below (alias and relative imports alike);
// - `boundaries/no-foreign-writes` (local): no entity-manager call (create, find, nativeUpdate, getRepository,
//   forFeature, ...) on another module's entity except `getReference` (a relation), and no raw SQL that inserts,
//   updates or deletes rows of another module's table. A table's owner is the module whose entity maps it.
// New modules and tables are picked up from the tree; a module that needs more public files than the convention
// lists them in PUBLIC.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODULES_DIR = join(ROOT, 'src/modules');

/** Every module: `<name>.module`, `<name>.service`, `<name>.ports`, `<name>.errors`, `dto/*`, `entities/*`. Plus these: */
const PUBLIC = {
  // The storage interface and its injection token: a port in all but name (exports and erasure store files there).
  media: ['storage/media-storage'],
  // AccountTokensService: auth voids every mailed token when a password change or a Google link changes who controls
  // the account (issue 23, N1), in the transaction of that change.
  accounts: ['tokens/account-tokens.module', 'tokens/account-tokens.service', 'tokens/verification-mailer.service'],
  auth: ['sessions.service', 'tokens.service'],
  // Reconciliation: the ledger's money entries and the replay of lost events; the Stripe client to list Stripe's history.
  billing: ['ledger-audit.service', 'stripe/stripe.client'],
  // The subscriber-access rule in both forms (billing keeps `subscription_revenue`'s triggers to its statuses).
  entitlements: ['subscriber-access', 'entitlement-queries'],
  payouts: ['payout-accounts.module', 'payout-accounts.service'],
  // `post-content`: the one text renderer (escaped text, links, hashtags), which direct messages render with too.
  posts: ['post-views.service', 'post-access.policy', 'post-row', 'post-content'],
  // The message renderer, for the stream's `message` events (every path that shows a message renders through it).
  // And the mass messages' copies of one fan-out batch, for their live delivery.
  messages: ['message-views.service', 'mass-messages.service'],
  social: ['social.predicates'],
  // UsersService (look-ups) and the users table's other services, split by concern.
  users: ['user-identity', 'user-accounts.service', 'user-lifecycle.service', 'user-moderation.service', 'user-counters.service'],
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const modules = readdirSync(MODULES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

function publicFiles(name) {
  return [`${name}.module`, `${name}.service`, `${name}.ports`, `${name}.errors`, ...(PUBLIC[name] ?? [])];
}

/** Entities (class name and table) by owner: a module, or `common` for src/common's tables (outbox, idempotency). */
function entityOwners() {
  const entities = new Map(); // class name -> owner
  const tables = new Map(); // table -> owner
  const files = listFiles(join(ROOT, 'src')).filter((file) => file.endsWith('.entity.ts'));
  for (const file of files) {
    const parts = relative(ROOT, file).split('/');
    const owner = parts[1] === 'modules' ? parts[2] : 'common';
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/tableName:\s*'([a-z_0-9]+)'/g)) tables.set(match[1], owner);
    for (const match of source.matchAll(/@Entity\([^)]*\)[\s\S]*?export class (\w+)/g)) entities.set(match[1], owner);
  }
  return { entities, tables };
}

const owners = entityOwners();

/** The `no-restricted-imports` patterns for files of module `self` (null: outside src/modules) at `depth` below it. */
function restrictedPatterns(self, depth) {
  const patterns = modules
    .filter((name) => name !== self)
    .map((name) => {
      const allowed = [...publicFiles(name).map(escape), 'dto/[^/]+', 'entities/[^/]+'].join('|');
      return {
        regex: `^@/modules/${escape(name)}/(?!(?:${allowed})$)`,
        message:
          `Only the public API of module "${name}" may be imported here: ${publicFiles(name).join(', ')}, dto/*, entities/*. ` +
          'Its repositories and internal services are its own: call its service, or define a port (docs/module-boundaries.md).',
      };
    });
  if (self !== null) {
    patterns.push({
      regex: `^(?:\\./)?(?:\\.\\./){${depth + 1}}`,
      message: 'Import another module through "@/modules/<name>/...", never a relative path out of this module.',
    });
  }
  return patterns;
}

const WRITE_SQL = /(?<!\b(?:for|do|key|share)\s+)\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** Entity-manager and repository methods that read or write through an entity class (`getReference` is not one). */
const ENTITY_CALLS = new Set([
  'create', 'persist', 'insert', 'insertMany', 'upsert', 'upsertMany', 'nativeUpdate', 'nativeDelete', 'getRepository',
  'createQueryBuilder', 'qb', 'find', 'findAll', 'findOne', 'findOneOrFail', 'findAndCount', 'findByCursor', 'count',
  'stream', 'forFeature', 'InjectRepository',
]);

function moduleOf(filename) {
  const parts = relative(ROOT, filename).split('/');
  return parts[0] === 'src' && parts[1] === 'modules' ? parts[2] : undefined;
}

const noForeignWrites = {
  meta: {
    type: 'problem',
    docs: { description: "No entity-manager use of another module's entities (relations aside) and no SQL writes to its tables" },
    schema: [],
  },
  create(context) {
    const self = moduleOf(context.filename);
    if (!self) return {};
    const foreign = new Map(); // local name -> owner, for value imports of other modules' entities
    const ownerOfEntity = (node) => {
      if (node?.type === 'Identifier') return foreign.get(node.name);
      if (node?.type === 'Literal' && typeof node.value === 'string') {
        const owner = owners.entities.get(node.value);
        return owner && owner !== self ? owner : undefined;
      }
      return undefined;
    };
    const checkSql = (node, text) => {
      for (const match of text.matchAll(WRITE_SQL)) {
        const owner = owners.tables.get(match[1].toLowerCase());
        if (owner && owner !== self) {
          context.report({ node, message: `SQL writes "${match[1]}", a table of module "${owner}": call its service instead (docs/module-boundaries.md).` });
        }
      }
    };
    return {
      ImportDeclaration(node) {
        const source = node.source.value;
        const match = /^@\/modules\/([^/]+)\/entities\//.exec(source);
        if (!match || match[1] === self || node.importKind === 'type') return;
        for (const spec of node.specifiers) if (spec.importKind !== 'type') foreign.set(spec.local.name, match[1]);
      },
      CallExpression(node) {
        const callee = node.callee;
        const name = callee.type === 'MemberExpression' && !callee.computed ? callee.property.name : callee.type === 'Identifier' ? callee.name : undefined;
        if (!name || !ENTITY_CALLS.has(name) || !node.arguments.length) return;
        const first = node.arguments[0];
        const candidates = first.type === 'ArrayExpression' ? first.elements : [first];
        for (const candidate of candidates) {
          const owner = ownerOfEntity(candidate);
          if (owner) {
            context.report({
              node: candidate,
              message: `"${name}" on an entity of module "${owner}": only that module reads and writes it; call its service (a relation takes getReference).`,
            });
          }
        }
      },
      Literal(node) {
        if (typeof node.value === 'string') checkSql(node, node.value);
      },
      TemplateLiteral(node) {
        checkSql(node, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' ? '));
      },
    };
  },
};

/** Flat-config blocks: one per module and depth (a rule's options are replaced, not merged, between blocks). */
export function moduleBoundaries() {
  const blocks = [];
  for (const name of modules) {
    for (let depth = 0; depth < 4; depth++) {
      blocks.push({
        files: [`src/modules/${name}/${'*/'.repeat(depth)}*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns: restrictedPatterns(name, depth) }] },
      });
    }
  }
  blocks.push({
    // Shared code sees modules only through their entities (the ORM's entity list, relations) and type-only imports
    // (the event and job payload registries name a module's payload type). src/app.module.ts and src/bootstrap.ts
    // are the composition root: they wire modules and their HTTP hooks together.
    files: ['src/common/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@/modules/[^/]+/(?!entities/[^/]+$)', allowTypeImports: true, message: 'Shared code may import only entities (and types) of modules.' },
          ],
        },
      ],
    },
  });
  blocks.push({
    files: ['src/**/*.ts'],
    plugins: { boundaries: { rules: { 'no-foreign-writes': noForeignWrites } } },
    rules: { 'boundaries/no-foreign-writes': 'error' },
  });
  return blocks;
}
