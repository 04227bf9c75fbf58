// Flat config: ESLint's and typescript-eslint's recommended rules, syntax only.
// No type-aware rules (no parserOptions.project), so a full lint stays a few seconds;
// `npm run typecheck` is what checks types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './eslint/module-boundaries.mjs';

export default defineConfig(
  {
    // The typed client's schema is generated (npm run client:generate); client:check keeps it in step instead.
    ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'clients/typescript/src/schema.d.ts'],
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'migrations/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'clients/**/*.ts', 'mikro-orm.config.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'warn',
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      // Nest's `constructor(private readonly service: Service) {}` is empty by design.
      'no-empty-function': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      'no-useless-constructor': 'off',
      // `catch {}` around best-effort cleanup is deliberate; other empty blocks are not.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Module boundaries: imports only through a module's public API, no writes to its tables (docs/module-boundaries.md).
  ...moduleBoundaries(),
);
