/** Everything `prewarm controller` can be told; the CLI parses flags into this, the daemon consumes it. */
export interface ControllerOptions {
  /** `sqlite:PATH` (default `sqlite:./prewarm.db`) or `postgres://…` (several replicas may share it). */
  database: string;
  /** PostgreSQL: how long the leader lease lasts without renewal (renewed every third of it). */
  leaseTtlMs: number;
  /** gRPC API, HOST:PORT; default 127.0.0.1:7420. */
  listen: string;
  /** /healthz, /readyz, /metrics, HOST:PORT; default 127.0.0.1:7421. */
  opsListen: string;
  driverDir: string;
  /** Where template modules for the built-in terraform driver live; unset: the terraform driver is off. */
  modulesDir?: string;
  /** The terraform driver's working directories, state and plugin cache; default `<state dir>/terraform`. */
  terraformDir?: string;
  /** JSON file of named secrets for the http driver (`secret_ref`); PREWARM_SECRET_<NAME> variables also count. */
  secretsFile?: string;
  reconcileIntervalMs: number;
  /** How often the lifecycle loop looks at workspaces (autostop, TTLs, dormancy, auto-destroy, reminders). */
  lifecycleIntervalMs: number;
  tlsCert?: string;
  tlsKey?: string;
  /** When set, clients must present a certificate signed by this CA. */
  tlsClientCa?: string;
  /** Allow a non-loopback listen address without TLS. */
  insecureListen: boolean;
  /** Directories or files of template/preset JSON applied at start-up (the quickstart uses this). */
  apply: string[];
  /** Print a one-line pool summary to stdout whenever it changes. */
  watch: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  inFlightLimit: number;
  failureHardLimit: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  retentionMs: number;
  driverTimeoutMs: number;
  /** How long SIGTERM waits for running driver operations before killing them. */
  drainTimeoutMs: number;
  /** Replace the stored API token with a fresh one and print it. */
  rotateToken: boolean;
  /** A webhook delivery attempt that has no answer after this long is retried later. */
  notifyTimeoutMs: number;
  /** Deliveries in flight at once per notification target. */
  notifyConcurrency: number;
}

export const controllerDefaults: ControllerOptions = {
  database: 'sqlite:./prewarm.db',
  leaseTtlMs: 15_000,
  listen: '127.0.0.1:7420',
  opsListen: '127.0.0.1:7421',
  driverDir: './drivers',
  reconcileIntervalMs: 10_000,
  lifecycleIntervalMs: 15_000,
  insecureListen: false,
  apply: [],
  watch: false,
  logLevel: 'info',
  inFlightLimit: 8,
  failureHardLimit: 3,
  backoffBaseMs: 30_000,
  backoffCapMs: 30 * 60_000,
  retentionMs: 60 * 60_000,
  driverTimeoutMs: 30 * 60_000,
  drainTimeoutMs: 30_000,
  rotateToken: false,
  notifyTimeoutMs: 10_000,
  notifyConcurrency: 4,
};
