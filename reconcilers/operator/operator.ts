/**
 * The operator process: probe/metrics server, the eviction webhook (every replica), leader
 * election, and the controllers run while leading. Each leadership term builds the controllers afresh from their factories, starts
 * the shared informers, waits until they are synced (a reconcile must never see a half-filled
 * cache), then starts the controllers. Losing leadership ends the term at once.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../runtime/config.ts';
import { InformerFactory } from '../runtime/informers.ts';
import { LeaderElector } from '../runtime/leader.ts';
import type { Logger } from '../runtime/log.ts';
import { metrics } from '../runtime/metrics.ts';
import { startProbeServer, type ProbeServer } from '../runtime/server.ts';
import type { ControllerFactory, Runnable } from './context.ts';
import { WEBHOOK_TLS_SECRET } from '../api/install.ts';
import { startWebhookServer, type WebhookServer } from '../webhook/server.ts';

interface Term {
  informers: InformerFactory;
  runnables: Runnable[];
  running: boolean;
  ended: boolean;
  /** Resolves when the term is ended (interrupts waiting for informers). */
  ending: Promise<void>;
  end: () => void;
}

export interface OperatorOptions {
  kc: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  factories: ControllerFactory[];
  /** Bound on in-flight reconciles at the end of a term. Default 10 s. */
  graceMs?: number;
  /** Called when the operator cannot go on (a factory failed); the process should exit. */
  onFatal: (err: unknown) => void;
}

export class Operator {
  private server: ProbeServer | undefined;
  private webhook: WebhookServer | undefined;
  private elector: LeaderElector | undefined;
  private term: Term | undefined;
  private transitions: Promise<void> = Promise.resolve();

  constructor(private readonly opts: OperatorOptions) {}

  /** The bound port of the probe server (after {@link start}). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    const { config, kc, log } = this.opts;
    this.server = await startProbeServer({ listen: config.listen, ready: () => this.ready() });
    if (config.webhook) {
      this.webhook = await startWebhookServer({
        kc,
        config,
        listen: config.webhook.listen,
        tls: {
          mode: config.webhook.tls,
          namespace: config.namespace,
          secretName: WEBHOOK_TLS_SECRET,
          hosts: config.webhook.hosts,
          configurations: config.webhook.configurations,
        },
        log: log.child({ component: 'webhook' }),
      });
    }
    log.info({ port: this.server.port, identity: config.identity }, 'operator started');
    if (!config.leaderElect) return this.beginTerm();
    this.elector = new LeaderElector(
      kc,
      {
        namespace: config.namespace,
        name: config.leaseName,
        identity: config.identity,
        onStartedLeading: () => this.beginTerm(),
        onStoppedLeading: () => this.endTerm(),
      },
      log,
    );
    this.elector.start();
  }

  /** Ends the term (in-flight reconciles bounded), then releases the Lease and closes the server. */
  async stop(): Promise<void> {
    this.endTerm();
    await this.transitions;
    await this.elector?.stop();
    await this.transitions;
    await this.webhook?.close();
    await this.server?.close();
    this.opts.log.info('operator stopped');
  }

  /** A non-leader is ready; a leader once its informers have synced. */
  private ready(): boolean {
    return !this.term || this.term.running || this.term.ended;
  }

  private beginTerm(): void {
    let end!: () => void;
    const ending = new Promise<void>((resolve) => (end = resolve));
    const informers = new InformerFactory(this.opts.kc, this.opts.log);
    const term: Term = { informers, runnables: [], running: false, ended: false, ending, end };
    this.term = term;
    this.transitions = this.transitions.then(() => this.run(term));
  }

  private endTerm(): void {
    const term = this.term;
    if (!term || term.ended) return;
    term.ended = true;
    term.end();
    this.transitions = this.transitions.then(() => this.finish(term));
  }

  private async run(term: Term): Promise<void> {
    const { kc, config, log, factories } = this.opts;
    try {
      const ctx = { kc, config, log, metrics, informers: term.informers };
      for (const factory of factories) {
        if (term.ended) return;
        term.runnables.push(
          ...(await factory.create({ ...ctx, log: log.child({ factory: factory.name }) })),
        );
      }
      term.informers.start();
      await Promise.race([term.informers.synced(), term.ending]);
      if (term.ended) return;
      for (const r of term.runnables) await r.start();
      term.running = true;
      log.info({ controllers: factories.map((f) => f.name) }, 'controllers running');
    } catch (err) {
      log.error({ err: String(err) }, 'cannot start the controllers');
      this.opts.onFatal(err);
    }
  }

  private async finish(term: Term): Promise<void> {
    const graceMs = this.opts.graceMs ?? 10_000;
    await Promise.all(term.runnables.map((r) => r.stop(graceMs)));
    await term.informers.stop();
    term.running = false;
  }
}
