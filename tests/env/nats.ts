/** nats-server with JetStream on loopback. */
import { join } from 'node:path';
import { freePort, startService, waitUntil, type Service } from './process.ts';

export async function startNats(
  workDir: string,
  dataDir: string,
): Promise<{ url: string; service: Service }> {
  const [port, monitor] = [await freePort(), await freePort()];
  const service = startService(
    'nats-server',
    'nats-server',
    [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      String(monitor),
      '-js',
      '-sd',
      join(dataDir, 'jetstream'),
    ],
    { logDir: workDir },
  );
  await waitUntil(
    service,
    'nats-server /healthz',
    async () => (await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`)).ok,
  );
  return { url: `nats://127.0.0.1:${port}`, service };
}
