// Benchmark aid, preloaded with `node --import`: counts the HTTP(S) requests this process sends
// to one server (CONTINUUM_COUNT_PORT) and writes {"total":N,"byRequest":{"GET pods":N,…}} to
// CONTINUUM_COUNT_FILE every 500 ms (so a SIGKILLed process leaves its count behind). Requests
// are named by method and resource (subresource, "watch" for watches), without names.
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { URL } from 'node:url';

const port = process.env.CONTINUUM_COUNT_PORT;
const file = process.env.CONTINUUM_COUNT_FILE;
const counts = { total: 0, byRequest: {} };

/** `pods`, `migrations/status`, `pods (watch)`, … of an API path. */
function resourceOf(path) {
  const [route, query = ''] = path.split('?');
  const parts = route.split('/').filter(Boolean);
  let i = parts[0] === 'api' ? 2 : 3;
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2;
  const sub = parts[i + 2] ? `/${parts[i + 2]}` : '';
  const watch = /(^|&)watch=(true|1)/.test(query) ? ' (watch)' : '';
  return `${parts[i] ?? ''}${sub}${watch}`;
}

function pathOf(target, options) {
  if (typeof target === 'string') return new URL(target).pathname + new URL(target).search;
  if (target instanceof URL) return target.pathname + target.search;
  return String(target?.path ?? options?.path ?? '');
}

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
        const name = `${method} ${resourceOf(pathOf(target, options))}`;
        counts.total++;
        counts.byRequest[name] = (counts.byRequest[name] ?? 0) + 1;
      }
      return original.call(this, target, options, ...rest);
    };
  }
  syncBuiltinESMExports();
  const flush = () => writeFileSync(file, JSON.stringify(counts));
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
