// Lint rules that enforce the component boundaries of DESIGN.md:
// - renderer/ reaches the agent only through the rpc contract (app/rpc/contract.ts), and imports only its types;
// - app/ never imports electron, nor the hosts, the relay, the simulators or the demo wiring;
// - backend-bridge/ and sim/ import from app/ only app/alipay/;
// - only main/ may import electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronBan = {
  name: 'electron',
  message: 'Only main/ may import electron; inject Electron objects instead (Signal-style DI).',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'coverage/**', 'reports/**', '.stryker-tmp*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        WebSocket: 'readonly',
        HTMLElement: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // CommonJS helpers (the electron stand-in is preloaded with --require into a CommonJS bundle).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', '**/backend-bridge/**', '**/sim/**', '**/demo/**'],
              message:
                'app/ is the agent core: it must not depend on hosts, the relay, simulators or demo wiring.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['app/alipay/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              group: ['../*', '!../alipay/**', '**/main/**', '**/renderer/**'],
              message: 'app/alipay is a leaf module: it imports nothing else of the project.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      // typescript-eslint's version of the rule, because it can tell `import type` from a value import.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              // A file inside an excluded folder cannot be re-included, so app/rpc/ is re-opened first.
              group: [
                '**/app/**',
                '!**/app/rpc/',
                '**/app/rpc/**',
                '!**/app/rpc/contract.ts',
                '!**/app/rpc/contract',
                '**/main/**',
                '**/backend-bridge/**',
                '**/sim/**',
                '**/demo/**',
              ],
              message: 'renderer/ reaches the agent only through the rpc contract (app/rpc/contract.ts).',
            },
            {
              group: ['**/app/rpc/contract.ts', '**/app/rpc/contract'],
              allowTypeImports: true,
              message:
                'renderer/ imports only types from the rpc contract (`import type`): its validation code stays in the agent, out of the renderer bundle.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['backend-bridge/**/*.ts', 'sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              group: [
                '**/app/**',
                '!**/app/alipay',
                '!**/app/alipay/**',
                '**/main/**',
                '**/renderer/**',
                '**/demo/**',
              ],
              message: 'backend-bridge/ and sim/ import from app/ only app/alipay/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['demo/**/*.ts', 'cli/**/*.ts', 'bin/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [electronBan] }],
    },
  },
);
