/**
 * Fails on an import cycle: follows the relative imports of every module under reconcilers/,
 * cdk8s/ and bin/ — type-only and dynamic ones too, a cycle of types is still a cycle of the
 * design — and prints each cycle it finds. Run by scripts/test.sh next to ESLint.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['reconcilers', 'cdk8s', 'bin'];
const MODULE = /\.(ts|js|mjs)$/;

function modulesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return modulesUnder(path);
    return MODULE.test(name) ? [path] : [];
  });
}

/** The existing files `file` imports by a relative specifier. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .filter(({ fileName }) => fileName.startsWith('.'))
    .map(({ fileName }) => resolve(dirname(file), fileName))
    .filter((path) => existsSync(path) && statSync(path).isFile());
}

const done = new Set<string>();
const path: string[] = [];
const cycles: string[][] = [];

/** Depth first: an import of a module still on the path closes a cycle. */
function visit(file: string): void {
  if (done.has(file)) return;
  path.push(file);
  for (const imported of importsOf(file)) {
    const at = path.indexOf(imported);
    if (at >= 0) cycles.push([...path.slice(at), imported]);
    else visit(imported);
  }
  path.pop();
  done.add(file);
}

for (const dir of SOURCES) modulesUnder(join(ROOT, dir)).forEach(visit);
for (const cycle of cycles) {
  console.error(`import cycle: ${cycle.map((f) => relative(ROOT, f)).join(' → ')}`);
}
process.exitCode = cycles.length > 0 ? 1 : 0;
