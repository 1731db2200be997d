/**
 * `prewarm token rotate`: replaces the controller's API token, whether or not the controller is running.
 *
 * With a controller running on the database, the request goes through its admin socket (`<database>.admin/
 * admin.sock`, reachable only by the database owner's user): the controller stores the new token's hash and
 * switches its verifier at once, so the old token stops working without a restart. With none running, the
 * command opens the database itself and stores the new hash; the controller uses it from its next start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, type FlagSpec } from './args';
import type { Command } from './command';
import { controllerDefaults } from '../daemon-options';

const FLAGS: FlagSpec[] = [
  {
    name: 'database',
    kind: 'string',
    value: 'URL',
    help: "The controller's store, as given to prewarm controller --database (env PREWARM_DATABASE)",
    default: controllerDefaults.database,
  },
];

export const tokenRotateCommand: Command = {
  path: ['token', 'rotate'],
  summary: "Replace the controller's API token (running or not) and print the new one once",
  description:
    'Generates a new API token, stores only its SHA-256 hash and prints the token once, as an export line on\n' +
    'stdout (eval "$(prewarm token rotate)" sets it in your shell); the previous token stops working.\n' +
    '\n' +
    'When a controller is running on the database, it is asked through its admin socket, <database>.admin/admin.sock\n' +
    '(a 0700 directory and a 0600 socket: only the user owning the database can use it); the running controller\n' +
    'switches to the new token at once, no restart. When none is running, the database is updated directly and the\n' +
    'controller uses the new token from its next start. A controller started with PREWARM_TOKEN uses that variable\n' +
    'instead of the stored token; change the variable to change its token.',
  flags: FLAGS,
  examples: ['prewarm token rotate', 'prewarm token rotate --database sqlite:/var/lib/prewarm/prewarm.db', 'eval "$(prewarm token rotate)"'],
  async run(ctx) {
    const url = ctx.flags.string('database') ?? (ctx.io.env.PREWARM_DATABASE || controllerDefaults.database);
    const { isPostgresUrl } = await import('../store/store');
    if (isPostgresUrl(url)) return rotateOnPostgres(ctx, url);
    // Loaded only here: the direct path needs the store and native SQLite.
    const { parseDatabaseUrl } = await import('../store/connection');
    let file: string;
    try {
      file = parseDatabaseUrl(url).file;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (file === ':memory:') {
      throw new UsageError('--database: an in-memory database lives only inside its controller; there is no stored token to rotate');
    }
    const abs = path.resolve(file);
    if (!fs.existsSync(abs)) {
      throw new UsageError(`--database: no database at ${abs} (from ${url}); pass the --database the controller runs with`);
    }
    if (!fs.statSync(abs).isFile()) throw new UsageError(`--database: ${abs} is not a file`);
    const description = `sqlite:${abs}`;

    const { removeStaleAdminSocket, requestTokenRotation } = await import('../auth/admin-socket');
    const answer = await requestTokenRotation(abs);
    if (answer.kind === 'rotated') {
      ctx.io.stderr(
        `prewarm: the running controller on ${description} now uses a new API token; the previous one no longer works.\n` +
          `It is shown only this once; only its hash is stored.\n`,
      );
      ctx.io.stdout(`export PREWARM_TOKEN=${answer.token}\n`);
      return 0;
    }

    // No controller answered: rotate in the database, which fails if a controller still holds it.
    const { openStore } = await import('../store/store');
    const { StoreLockedError } = await import('../store/connection');
    const { rotateToken } = await import('../auth/token');
    const { systemClock } = await import('../clock/clock');
    let store: Awaited<ReturnType<typeof openStore>>;
    try {
      store = await openStore(description, { exclusive: true, clock: systemClock });
    } catch (err) {
      if (err instanceof StoreLockedError) {
        throw new Error(
          `a controller is running on ${description}, but it does not answer on its admin socket ${answer.socket}` +
            `${answer.kind === 'stale' ? ' (the socket refuses connections)' : ' (there is none)'}; ` +
            'its start-up log says why. Restart it with --rotate-token to replace the token, or stop it and run this again',
        );
      }
      throw err;
    }
    let token: string;
    try {
      token = (await rotateToken(store)).token;
      // We hold the database lock, so no controller listens on a socket left behind: remove it.
      if (answer.kind === 'stale') removeStaleAdminSocket(abs);
    } finally {
      await store.close();
    }
    ctx.io.stderr(
      (answer.kind === 'stale' ? `prewarm: removed the stale admin socket ${answer.socket} (left by a controller that did not stop cleanly).\n` : '') +
        `prewarm: no controller is running on ${description}; stored a new API token there, used from the controller's next start\n` +
        `(unless it is started with PREWARM_TOKEN). It is shown only this once; only its hash is stored.\n`,
    );
    ctx.io.stdout(`export PREWARM_TOKEN=${token}\n`);
    return 0;
  },
};

/**
 * PostgreSQL has no admin socket (replicas may run on other hosts): the new hash is stored in the database, and each
 * replica takes it at its next start. Replicas still running keep accepting the old token until restarted.
 */
async function rotateOnPostgres(ctx: Parameters<Command['run']>[0], url: string): Promise<number> {
  const { openStore } = await import('../store/store');
  const { rotateToken } = await import('../auth/token');
  const { systemClock } = await import('../clock/clock');
  const store = await openStore(url, { clock: systemClock });
  let token: string;
  try {
    token = (await rotateToken(store)).token;
  } finally {
    await store.close();
  }
  ctx.io.stderr(
    `prewarm: stored a new API token in ${store.description}. Replicas use it from their next start (restart them one by one);\n` +
      `a replica started with PREWARM_TOKEN keeps that one. It is shown only this once; only its hash is stored.\n`,
  );
  ctx.io.stdout(`export PREWARM_TOKEN=${token}\n`);
  return 0;
}
