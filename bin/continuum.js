#!/usr/bin/env node
// Entry point of the `continuum` command. Runs the compiled CLI when it has been built
// (npm run build, as in the product image); otherwise compiles the TypeScript on the fly.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const built = new URL('../dist/reconcilers/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../reconcilers/cli.ts');
}
