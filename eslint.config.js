// @ts-check
/**
 * Lint for the whole monorepo (ESLint 9 flat config, typescript-eslint type-checked rules).
 *
 * Beyond the recommended type-checked set, the rules here shape the code the way DESIGN.md and
 * STYLE.md ask:
 * - a lost promise in a reconcile loop is a silent bug: `no-floating-promises`,
 *   `no-misused-promises`, `await-thenable`;
 * - closed unions (error codes, event types, plugin status codes) are handled exhaustively;
 * - `import type` / `export type` everywhere, as `verbatimModuleSyntax` needs;
 * - options objects instead of long parameter lists, on public functions and methods;
 * - the layers: a lower package never imports a higher one (see `layering` below).
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const tsFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];
const testFiles = ['**/*.test.ts', '**/*.test-d.ts', '**/test/**/*.ts', 'bench/**/*.ts'];
/** Tool configuration files: not part of any tsconfig program, so linted without types. */
const configFiles = ['**/*.config.ts', '**/*.config.mts', '**/*.config.js', '**/*.config.mjs'];

const MAX_PARAMS = 4;
const longParameterListMessage = `Take at most ${MAX_PARAMS} parameters here; pass an options object instead (STYLE.md: options objects instead of long parameter lists).`;
/** `no-restricted-syntax` selectors for a public function or method with too many parameters. */
const longParameterLists = [
  `ExportNamedDeclaration > FunctionDeclaration[params.length>${MAX_PARAMS}]`,
  `ExportNamedDeclaration > TSDeclareFunction[params.length>${MAX_PARAMS}]`,
  `ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > :matches(ArrowFunctionExpression, FunctionExpression)[params.length>${MAX_PARAMS}]`,
  `MethodDefinition[kind='method'][key.type!='PrivateIdentifier'][accessibility!='private'] > FunctionExpression[params.length>${MAX_PARAMS}]`,
  `TSMethodSignature[params.length>${MAX_PARAMS}]`,
].map((selector) => ({ selector, message: longParameterListMessage }));

/** Never reach into another package's files by a relative path: import it by name. */
const noCrossPackagePaths = {
  regex: '^(\\.\\./)+([a-z-]+/)?(src|dist)(/|$)',
  message: 'Import another package by its name (@harbormaster/...), never by a relative path into its src/ or dist/.',
};
const onlyCore = {
  regex: '^@harbormaster/(?!core$)',
  message:
    'A package depends on @harbormaster/core only (its one peer dependency): program against the contracts in core. Tests may also import @harbormaster/core/testing.',
};

/**
 * The layers (DESIGN.md): which imports each kind of file may not make. The blocks do not
 * overlap, because a later `no-restricted-imports` would replace an earlier one, not add to it.
 */
const layering = [
  {
    // core is the bottom layer: what it ships knows no other package, its testing entry included.
    files: ['packages/core/src/testing/**/*.ts'],
    ignores: testFiles,
    patterns: [
      { regex: '^@harbormaster/', message: '@harbormaster/core is the lowest layer: it imports no other @harbormaster package.' },
    ],
  },
  {
    // core's own tests may run on the in-memory store, "the one tests use" (DESIGN.md), and on
    // nothing else above core. This is a test-time edge only; store-memory is no dependency of core.
    files: testFiles.map((f) => `packages/core/${f}`),
    patterns: [
      {
        regex: '^@harbormaster/(?!store-memory$)',
        message: "core's tests may use @harbormaster/store-memory, no other package above core.",
      },
    ],
  },
  {
    files: ['packages/core/**/*.ts'],
    ignores: ['packages/core/src/testing/**', ...testFiles],
    patterns: [
      { regex: '^@harbormaster/', message: '@harbormaster/core is the lowest layer: it imports no other @harbormaster package.' },
      {
        // vitest and fast-check are optional peers of core, for its ./testing entry only.
        regex: '^(vitest|fast-check)(/|$)',
        message: 'vitest and fast-check are optional peers of core: only src/testing/** and tests may import them.',
      },
    ],
  },
  {
    // Every other package's shipped code: core only (control-plane, the entry-point layer on
    // top, composes the others).
    files: ['packages/!(core|control-plane)/**/*.ts'],
    ignores: testFiles,
    patterns: [onlyCore],
  },
  {
    // A store or runtime adapter's tests need core and its testing entry (the conformance suite).
    files: ['packages/store-*/**/*.ts', 'packages/runtime-*/**/*.ts'].flatMap((dir) =>
      testFiles.map((f) => dir.replace('**/*.ts', f)),
    ),
    patterns: [
      {
        regex: '^@harbormaster/(?!core(/testing)?$)',
        message: 'A store or runtime adapter and its tests import only @harbormaster/core and @harbormaster/core/testing.',
      },
    ],
  },
];

export default defineConfig(
  globalIgnores([
    '**/dist/',
    'docs/api/',
    '**/node_modules/',
    '**/coverage/',
    '.bench-tmp/',
    '**/*.tsbuildinfo',
  ]),

  js.configs.recommended,

  {
    files: tsFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: true },
      ],
      '@typescript-eslint/consistent-type-exports': ['error', { fixMixedExportsWithInlineTypeSpecifier: false }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Forwarding a caught `unknown` (`error: (e: unknown) => reject(e)`) is fine, as it is for
      // `throw` under only-throw-error's defaults; rejecting with a literal or an object is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An `async` method without `await` is how a synchronous implementation (the memory store)
      // honours a Promise contract and turns a throw into a rejection: allowed.
      '@typescript-eslint/require-await': 'off',
      // Options objects instead of long positional parameter lists, on the surface users call:
      // exported functions, public methods, interface methods. Private helpers and constructors
      // (internal records, DI) may take more.
      'no-restricted-syntax': ['error', ...longParameterLists],
      eqeqeq: ['error', 'smart'],
    },
  },

  // Layering, one block per rule of the table above.
  ...layering.map(({ files, ignores, patterns }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, noCrossPackagePaths] }] },
  })),

  {
    files: testFiles,
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      // vitest's `expect(obj.method).toHaveBeenCalled()` passes methods around unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Plain JavaScript (scripts, this file) and tool configuration: no type information.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', ...configFiles],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
