/** nats-server with JetStream on `address` (the run's link: pods reach it too). */
import { join } from 'node:path';
import { freePort, startService, waitUntil, type Service } from './process.ts';

export async function startNats(
  workDir: string,
  dataDir: string,
  address: string,
): Promise<{ url: string; service: Service }> {
  const [port, monitor] = [await freePort(), await freePort()];
  const service = startService(
    'nats-server',
    'nats-server',
    [
      '-a',
      address,
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
    async () => (await fetch(`http://${address}:${monitor}/healthz?js-enabled-only=true`)).ok,
  );
  return { url: `nats://${address}:${port}`, service };
}
