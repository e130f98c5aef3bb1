import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'charts/', 'crds/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Configuration in one place: the operator reads its environment in runtime/config.ts
  // (through the table in runtime/config-env.ts), every other command in its own flag parser.
  {
    files: ['reconcilers/**'],
    ignores: [
      'reconcilers/runtime/config.ts',
      'reconcilers/*/command.ts',
      'reconcilers/restore/fetch.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            'Read the environment in runtime/config.ts (the operator) or a command parser, and pass values down.',
        },
      ],
    },
  },
  // Type-aware rules, for the TypeScript sources only (all of them are in tsconfig.json).
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
);
