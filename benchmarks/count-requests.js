// Benchmark aid, preloaded with `node --import`: counts the HTTP(S) requests this process sends
// to one server (CONTINUUM_COUNT_PORT) and writes {"total":N,"byMethod":{…}} to
// CONTINUUM_COUNT_FILE every 500 ms (so a SIGKILLed process leaves its count behind).
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { URL } from 'node:url';

const port = process.env.CONTINUUM_COUNT_PORT;
const file = process.env.CONTINUUM_COUNT_FILE;
const counts = { total: 0, byMethod: {} };

function portOf(target, options) {
  if (typeof target === 'string') return new URL(target).port;
  if (target instanceof URL) return target.port;
  return String(target?.port ?? options?.port ?? '');
}

if (port && file) {
  for (const mod of [http, https]) {
    const original = mod.request;
    mod.request = function request(target, options, ...rest) {
      if (portOf(target, options) === port) {
        const method = (typeof options === 'object' && options?.method) || target?.method || 'GET';
        counts.total++;
        counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1;
      }
      return original.call(this, target, options, ...rest);
    };
  }
  syncBuiltinESMExports();
  const flush = () => writeFileSync(file, JSON.stringify(counts));
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
