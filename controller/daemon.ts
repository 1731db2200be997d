import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import packageJson from '../package.json';
import { bindApiServer } from './api/grpc-server';
import { type AdminSocket, startAdminSocket } from './auth/admin-socket';
import { rotateToken, setupToken, SwitchableVerifier } from './auth/token';
import { type Clock, systemClock } from './clock/clock';
import type { ControllerOptions } from './daemon-options';
import { loadDriverSecrets, setUpDrivers } from './drivers/setup';
import { backoffMs } from './executor/backoff';
import { type DriverRunner, Executor } from './executor/executor';
import { jsonLogger, type Logger } from './log';
import { controllerMetrics } from './ops/metrics';
import { bindOpsServer, opsExposureWarning } from './ops/server';
import { Reconciler } from './loop/reconciler';
import { LifecycleLoop } from './loop/lifecycle-loop';
import { Leadership } from './loop/leadership';
import { DeliveryLoop } from './notify/delivery-loop';
import { loadSecretBox, loadSharedSecretBox } from './notify/secret-box';
import { applySpecs } from './service/apply';
import { ControllerService } from './service/controller-service';
import { LiveView, liveViewMode } from './view/live-view';
import { StatusFeed } from './view/watch-status';
import type { FailurePolicy } from './store/jobs';
import { parseDatabaseUrl } from './store/connection';
import { openStore, type Store } from './store/store';

export interface RunningController {
  service: ControllerService;
  reconciler: Reconciler;
  lifecycle: LifecycleLoop;
  delivery: DeliveryLoop;
  executor: Executor;
  store: Store;
  leadership: Leadership;
  apiPort: number;
  opsPort: number;
  /** Set when a token was generated at this start. */
  generatedToken?: string;
  /** Drains and stops everything; resolves when the process may exit. */
  shutdown(reason: string): Promise<void>;
  /**
   * Cuts the drain short (a second stop signal): kills every running driver's process group now, then finishes
   * the shutdown as `shutdown` does. Resolves with the same promise.
   */
  forceStop(reason: string): Promise<void>;
  /** The admin socket `prewarm token rotate` talks to; undefined for an in-memory database or when it could not be set up. */
  adminSocket?: string;
}

export interface StartDeps {
  clock?: Clock;
  log?: Logger;
  driver?: DriverRunner;
  random?: () => number;
  /** Where human-facing output goes (the token line, --watch); default stdout/stderr. */
  stdout?: (text: string) => void;
  /** Whether `stdout` is a terminal (the --watch view redraws in place then); default: process.stdout's. */
  stdoutIsTTY?: boolean;
  stderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Builds and starts every part of the controller; the pieces are returned so tests can drive them. */
export async function startController(opts: ControllerOptions, deps: StartDeps = {}): Promise<RunningController> {
  const env = deps.env ?? process.env;
  const clock = deps.clock ?? systemClock;
  // With the live view redrawn on the same terminal, a log line written straight to stderr would land inside the
  // frame and break the next redraw; such lines go through the view, which prints them above a fresh frame.
  const logsThroughView = opts.watch && !deps.stdout && process.stdout.isTTY === true && process.stderr.isTTY === true;
  let interject: ((line: string) => void) | undefined;
  const log =
    deps.log ??
    jsonLogger(opts.logLevel, logsThroughView ? (line) => (interject ? interject(line) : process.stderr.write(line)) : undefined);
  const stdout = deps.stdout ?? ((t) => process.stdout.write(t));
  const stderr = deps.stderr ?? ((t) => process.stderr.write(t));
  const random = deps.random ?? Math.random;

  const driverDir = path.resolve(opts.driverDir);
  if (!fs.existsSync(driverDir) || !fs.statSync(driverDir).isDirectory()) {
    throw new Error(`--driver-dir: ${driverDir} is not a directory`);
  }
  const driverSecrets = loadDriverSecrets(opts.secretsFile, env, log);
  // Closed in reverse order of creation if start-up fails.
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const readFile = (flag: string, file: string) => {
      try {
        return fs.readFileSync(file);
      } catch (err) {
        throw new Error(`${flag}: cannot read ${file}: ${(err as Error).message}`);
      }
    };
    const tls =
      opts.tlsCert && opts.tlsKey
        ? {
            certPem: readFile('--tls-cert', opts.tlsCert),
            keyPem: readFile('--tls-key', opts.tlsKey),
            clientCaPem: opts.tlsClientCa ? readFile('--tls-client-ca', opts.tlsClientCa) : undefined,
          }
        : undefined;

    // Start-up order: listen first, then touch the database. Both addresses are bound (and held, not merely
    // probed, so nothing can take them in between) before the database file is created or migrated and before a
    // token is generated: a taken port then fails the start with nothing written and no token printed that would
    // never work. Calls and scrapes arriving before the store is open are answered "starting" (UNAVAILABLE, 503).
    const api = await bindApiServer({
      listen: opts.listen,
      tls,
      allowInsecureNonLoopback: opts.insecureListen,
      log: (level, msg, fields) => log[level](msg, { component: 'api', ...fields }),
    }).catch((err: Error) => {
      throw new Error(`--listen: ${err.message}`);
    });
    cleanups.unshift(() => api.close(0));
    const ops = await bindOpsServer(opts.opsListen);
    cleanups.unshift(() => ops.close());
    const exposure = opsExposureWarning(opts.opsListen);
    if (exposure) log.warn(exposure.msg, exposure.fields);

    const store = await openStore(opts.database, { exclusive: true, clock, log });
    cleanups.unshift(() => store.close());
    const token = await setupToken(store, { envToken: env.PREWARM_TOKEN, rotate: opts.rotateToken });
    // The API checks tokens through this, so a rotation over the admin socket takes effect on the next call.
    const apiToken = new SwitchableVerifier(token.verify);
    // A PostgreSQL database has no file to keep a key or an admin socket beside: the key comes from PREWARM_SECRET_KEY
    // (the same on every replica), and `prewarm token rotate` writes the database directly.
    const databaseFile = store.shared ? undefined : parseDatabaseUrl(opts.database).file;
    // Webhook secrets are sealed under this key: a copy of the database alone reveals none of them.
    const secretBox =
      databaseFile === undefined ? loadSharedSecretBox(env) : loadSecretBox(databaseFile === ':memory:' ? databaseFile : path.resolve(databaseFile), env);
    let admin: AdminSocket | undefined;
    if (databaseFile !== undefined && databaseFile !== ':memory:') {
      try {
        // We hold the database's exclusive lock now, so a socket left by a killed controller is safely replaced.
        admin = await startAdminSocket(
          path.resolve(databaseFile),
          {
            rotateToken: async () => {
              if (token.source === 'environment') {
                throw new Error('this controller takes its API token from PREWARM_TOKEN; change that variable and restart it instead');
              }
              const fresh = await rotateToken(store);
              apiToken.replace(fresh.verify);
              log.info('API token rotated through the admin socket; the previous token no longer works');
              return fresh.token;
            },
          },
          log,
        );
        const opened = admin;
        cleanups.unshift(() => opened.close());
      } catch (err) {
        log.warn('no admin socket: "prewarm token rotate" works only while this controller is stopped', { error: err });
      }
    }
    const rotateHint =
      databaseFile === ':memory:'
        ? 'restart the controller (an in-memory database gets a new token at every start)'
        : databaseFile === undefined
          ? 'prewarm token rotate with PREWARM_DATABASE set (replicas take the new token at their next start), or set PREWARM_TOKEN on every replica'
          : admin
          ? `prewarm token rotate --database ${store.description}`
          : `stop the controller, then run: prewarm token rotate --database ${store.description}`;
    if (token.generated) {
      stderr(
        `\nprewarm: generated an API token. It is shown only this once; only its hash is stored.\n` +
          `  export PREWARM_TOKEN=${token.generated}\n` +
          `(set PREWARM_TOKEN yourself, or replace a lost token with: ${rotateHint})\n\n`,
      );
    } else if (token.source === 'stored') {
      stderr(`prewarm: an API token is stored for this database (only its hash; it is not shown again); to replace a lost one run: ${rotateHint}\n`);
    } else {
      stderr('prewarm: using the API token from PREWARM_TOKEN (any token stored in the database is ignored); to change it, change PREWARM_TOKEN and restart\n');
    }

    const metrics = controllerMetrics();
    const stateDir = env.PREWARM_STATE_DIR ?? path.join(store.dataDir, '.prewarm');
    // Set first thing on shutdown, so /readyz turns 503 while the drain is still going.
    let stopping: Promise<void> | undefined;
    const replica = {
      id: `${os.hostname().slice(0, 40)}-${process.pid}-${randomBytes(2).toString('hex')}`,
      host: os.hostname(),
      pid: process.pid,
      version: packageJson.version,
      api: api.address,
    };
    const drivers = setUpDrivers({
      driverDir,
      modulesDir: opts.modulesDir,
      terraformDir: opts.terraformDir,
      secrets: driverSecrets,
      ownPorts: () => [api.port, ops.port],
      stateDir,
      timeoutMs: opts.driverTimeoutMs,
      replica: { id: replica.id, alive: async (id) => (await store.listReplicas()).some((r) => r.id === id && r.alive), leaseTtlMs: opts.leaseTtlMs, leads: () => leads() },
      clock,
      log,
    });
    const driver = deps.driver ?? drivers.dispatch;
    const policy: FailurePolicy = {
      failureHardLimit: opts.failureHardLimit,
      createBackoffMs: (n) => backoffMs(n, { baseMs: opts.backoffBaseMs, capMs: opts.backoffCapMs }, random),
      deleteRetryMs: (n) => backoffMs(n, { baseMs: opts.backoffBaseMs, capMs: opts.backoffCapMs }, random),
    };
    let reconciler: Reconciler | undefined;
    let lifecycle: LifecycleLoop | undefined;
    const leadership = new Leadership({
      store,
      clock,
      log,
      replica,
      ttlMs: opts.leaseTtlMs,
      onGain: () => {
        metrics.leader.set({}, 1);
        metrics.leaderChanges.inc({ event: 'gained' });
        // A new leader re-drives what the last one left unfinished, and plans from scratch.
        reconciler?.kick(0);
        lifecycle?.kick(0);
        delivery.kick(0);
      },
      onLose: () => {
        metrics.leader.set({}, 0);
        metrics.leaderChanges.inc({ event: 'lost' });
        // Whatever this replica's drivers were doing, the next leader re-drives; a result from here would be refused.
        executor.abandon();
      },
    });
    const leads = () => leadership.isLeader;
    // A webhook at these would post into the controller itself.
    const ownPorts = () => [api.port, ops.port];
    // Built before the loops that write notifications, so each can ask for a delivery pass right after it commits.
    const delivery = new DeliveryLoop({
      store,
      clock,
      log,
      metrics,
      secretBox,
      random,
      timeoutMs: opts.notifyTimeoutMs,
      perTargetConcurrency: opts.notifyConcurrency,
      leads,
      ownPorts,
    });
    const executor = new Executor({
      store,
      driver,
      clock,
      log,
      metrics,
      policy,
      leads,
      onDeferred: () => void store.announceJobs().catch((err) => log.warn('could not tell the leader about new jobs; it starts them at its next tick', { error: err })),
      onSettled: () => {
        reconciler?.kick();
        delivery.kick();
      },
    });
    // The --watch view is fed from the same status report `prewarm status` shows, refreshed after every tick.
    const viewMode = liveViewMode(deps.stdout ? { isTTY: deps.stdoutIsTTY ?? false } : process.stdout, env);
    const view = opts.watch ? new LiveView({ write: stdout }, viewMode) : undefined;
    if (view && !deps.stdout) {
      process.stdout.on('resize', () => Object.assign(viewMode, { columns: process.stdout.columns, rows: process.stdout.rows }));
      interject = (line) => view.interject(line);
      // However the process ends (a failed shutdown, an uncaught error), the terminal gets its cursor back.
      process.once('exit', () => view.close());
    }
    let feed: StatusFeed | undefined;
    reconciler = new Reconciler({
      store,
      clock,
      executor,
      options: { inFlightLimit: opts.inFlightLimit, retentionMs: opts.retentionMs, surgeFraction: 0.25, backoffCapMs: opts.backoffCapMs },
      intervalMs: opts.reconcileIntervalMs,
      log,
      metrics,
      onTick: view ? () => feed?.poke() : undefined,
      leads,
    });
    lifecycle = new LifecycleLoop({
      store,
      clock,
      executor,
      intervalMs: opts.lifecycleIntervalMs,
      inFlightLimit: opts.inFlightLimit,
      log,
      metrics,
      leads,
      onTick: (result) => {
        if (result.applied.length === 0) return;
        // The tick committed all its notifications already: nothing to coalesce, deliver now.
        delivery.kick(0);
        feed?.poke();
      },
    });
    const service = new ControllerService({
      store,
      clock,
      reconciler,
      lifecycle,
      executor,
      checkDriver: (name, config) => drivers.dispatch.checkTemplate(name, config),
      inFlightLimit: opts.inFlightLimit,
      log,
      metrics,
      secrets: secretBox,
      delivery,
      ownPorts,
    });
    if (view) {
      feed = new StatusFeed(
        async () => {
          const [report, recent, targets] = await Promise.all([service.status({}), store.recentNotifications(6), store.listNotificationTargets()]);
          return { ...report, notifications: { entries: recent.reverse(), targets: targets.filter((t) => t.enabled).length } };
        },
        view,
        (err) => log.warn('live view refresh failed', { error: err }),
      );
    }

    if (opts.apply.length > 0) {
      const applied = await applySpecs(service, opts.apply);
      log.info('applied specs', applied);
    }

    api.serve(service, apiToken.verify);

    ops.serve({
      readiness: [
        { name: 'running', check: async () => stopping === undefined },
        // A query on the database (on PostgreSQL, through the pool every replica's API uses).
        { name: 'store', check: () => store.ping() },
        // False while ticks fail (the last one failed), and when no tick succeeded lately (a stuck loop).
        {
          name: 'reconcile_loop',
          check: async () => reconciler!.lastTickSucceeded && clock.now() - reconciler!.lastTickAt < 3 * opts.reconcileIntervalMs + 30_000,
        },
        {
          name: 'lifecycle_loop',
          check: async () => lifecycle!.lastTickSucceeded && clock.now() - lifecycle!.lastTickAt < 3 * opts.lifecycleIntervalMs + 30_000,
        },
        // The loop's own health (it reads and writes the store); a failing receiver is not the controller's failure.
        { name: 'delivery_loop', check: async () => delivery.lastTickSucceeded && clock.now() - delivery.lastTickAt < 30_000 },
      ],
      metrics: async () => {
        const now = clock.now();
        const outbox = await store.outboxStats(now);
        metrics.outboxDepth.set({}, outbox.depth);
        metrics.oldestPending.set({}, outbox.oldestPendingAt === null ? 0 : Math.max(0, (now - outbox.oldestPendingAt) / 1000));
        reconciler!.refreshPresetGauges();
        const mem = process.memoryUsage();
        metrics.heapUsed.set({}, mem.heapUsed);
        metrics.heapTotal.set({}, mem.heapTotal);
        return metrics.registry.render();
      },
    });

    // Jobs another replica's API wrote (a fallback build for a waiting claimer, a user's stop) start now, not next tick.
    store.onJobsAnnounced(() => {
      if (leadership.isLeader) reconciler?.kick(0);
    });
    // Registers this replica and tries to lead before the loops start, so a lone controller acts from its first tick.
    await leadership.start();
    cleanups.unshift(() => leadership.stop());
    reconciler.start();
    lifecycle.start();
    delivery.start();
    log.info('controller started', {
      database: store.description,
      listen: api.address,
      ops: opts.opsListen,
      driver_dir: driverDir,
      modules_dir: opts.modulesDir,
      terraform_dir: drivers.terraformRoot,
      token: token.source,
      tls: Boolean(tls),
      admin_socket: admin?.path,
      replica: replica.id,
      leader: leadership.isLeader,
    });

    let forced = false;
    const shutdown = (reason: string) =>
      (stopping ??= (async () => {
        log.info('shutting down', { reason });
        executor.stopAccepting();
        await reconciler!.stop();
        await lifecycle.stop();
        await api.close(5000);
        await admin?.close();
        const drained = await executor.drain(forced ? 0 : opts.drainTimeoutMs);
        if (!drained.finished) log.warn('killed driver operations still running at the drain timeout; they resume on the next start', { killed: drained.killed });
        // After the drain, whose results are written under the lease: then another replica takes over at once.
        await leadership.stop();
        await ops.close();
        // After the drain, whose results may have written notifications: sends in flight are aborted and their
        // leases freed, so the next start sends them at once rather than after the lease runs out.
        await delivery.stop();
        await store.close();
        view?.close();
        log.info('stopped');
      })());

    const forceStop = (reason: string) => {
      if (!forced) {
        forced = true;
        log.warn('stopping now: killing every running driver operation; their jobs resume on the next start', { reason, running: executor.active });
        // The driver's own kill path: SIGTERM to each driver's process group now, SIGKILL after its grace period.
        // A drain in progress then sees its operations settle and returns; one not started yet waits for nothing.
        executor.stopAccepting();
        driver.killAll();
      }
      return shutdown(reason);
    };

    return {
      service,
      reconciler,
      lifecycle,
      delivery,
      executor,
      store,
      leadership,
      apiPort: api.port,
      opsPort: ops.port,
      generatedToken: token.generated,
      shutdown,
      forceStop,
      adminSocket: admin?.path,
    };
  } catch (err) {
    for (const c of cleanups) await c().catch(() => undefined);
    throw err;
  }
}

/**
 * `prewarm controller`: runs until SIGTERM or SIGINT, then drains and returns. The handlers stay installed for
 * the whole shutdown: a second signal cuts the drain short (every driver's process group is killed now) instead
 * of killing this process by default, which would leave the drivers and their children running, unowned.
 */
export async function runController(opts: ControllerOptions): Promise<void> {
  // Handlers go in before the start: a stop signal that arrives just after "controller started" is logged (a
  // supervisor that waits for that line) must drain the controller, not kill it by default.
  let running: RunningController | undefined;
  let early: NodeJS.Signals | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const settle = (p: Promise<void>) =>
    void p.then(finished, (err) => {
      process.stderr.write(`prewarm: shutdown failed: ${(err as Error).message}\n`);
      finished();
    });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!running) {
      early ??= sig;
      return;
    }
    signals++;
    if (signals === 1) settle(running.shutdown(sig));
    else if (signals === 2) settle(running.forceStop(sig));
    else process.stderr.write(`prewarm: ${sig}: already stopping; the driver process groups are being killed\n`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    running = await startController(opts);
    if (early) onSignal(early);
    await done;
  } finally {
    // Only now, with every driver gone and the store closed, may a signal take its default action again.
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
