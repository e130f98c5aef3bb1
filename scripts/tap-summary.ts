/**
 * Echoes ava's TAP output and ends it with the line CI reads: "N passed, N failed"
 * (", N skipped" when some were). Exits 1 when a test failed or none ran.
 */
import { createInterface } from 'node:readline';

let passed = 0;
let failed = 0;
let skipped = 0;
for await (const line of createInterface({ input: process.stdin })) {
  console.log(line);
  const result = /^(not ok|ok)\b(.*#\s*(skip|todo)\b)?/i.exec(line);
  if (!result) continue;
  if (result[3]) skipped++;
  else if (result[1] === 'ok') passed++;
  else failed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
