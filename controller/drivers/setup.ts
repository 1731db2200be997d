/**
 * The controller's drivers as the daemon configures them: exec programs from --driver-dir, the terraform driver
 * when --modules-dir is set, the http driver with secrets from --secrets-file and PREWARM_SECRET_* variables.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import { BUILTIN_DRIVER_KINDS, type BuiltinDriver, type BuiltinDriverKind } from './builtin';
import { DriverDispatch } from './dispatch';
import { ExecDriver } from './exec';
import { createHttpDriver } from './http/driver';
import { DriverSecrets } from './secrets';
import { TerraformDriver, prepareTerraformRoot, type ReplicaView } from './terraform/terraform-driver';

export interface DriverSetupOptions {
  driverDir: string;
  modulesDir?: string;
  /** The http driver's secrets, loaded (and so checked) by loadDriverSecrets before anything is written. */
  secrets: DriverSecrets;
  /** The controller's own ports: an http driver URL that reaches one of them is refused. */
  ownPorts: () => readonly number[];
  terraformDir?: string;
  /** The directory PREWARM_STATE_DIR names for drivers; the terraform driver's default home is inside it. */
  stateDir: string;
  timeoutMs: number;
  /** This replica as the terraform driver sees it: its run records name their replica (see ReplicaView). */
  replica?: ReplicaView;
  clock: Clock;
  log: Logger;
}

/** Reads --secrets-file now, so a bad one stops the start before the database or a token is touched. */
export function loadDriverSecrets(file: string | undefined, env: NodeJS.ProcessEnv, log: Logger): DriverSecrets {
  let secrets: DriverSecrets;
  try {
    secrets = DriverSecrets.load({ file, env });
  } catch (err) {
    throw new Error(`--secrets-file: ${(err as Error).message}`);
  }
  if (file !== undefined && secrets.looseMode()) log.warn('the secrets file is readable by other users; chmod 600 it', { secrets_file: file });
  return secrets;
}

export function setUpDrivers(opts: DriverSetupOptions): { dispatch: DriverDispatch; terraformRoot?: string } {
  const env = { PREWARM_STATE_DIR: opts.stateDir };
  const exec = new ExecDriver({ driverDir: opts.driverDir, timeoutMs: opts.timeoutMs, env, clock: opts.clock });
  const builtin: Partial<Record<BuiltinDriverKind, BuiltinDriver>> = {};
  const missingReason: Partial<Record<BuiltinDriverKind, string>> = {};
  let terraformRoot: string | undefined;
  if (opts.modulesDir !== undefined) {
    terraformRoot = path.resolve(opts.terraformDir ?? path.join(opts.stateDir, 'terraform'));
    try {
      prepareTerraformRoot(terraformRoot, opts.clock.now());
    } catch (err) {
      throw new Error(`--terraform-dir: cannot create ${terraformRoot}: ${(err as Error).message}`);
    }
    builtin.terraform = new TerraformDriver({
      modulesDir: opts.modulesDir,
      root: terraformRoot,
      clock: opts.clock,
      timeoutMs: opts.timeoutMs,
      env,
      replica: opts.replica,
    });
  } else {
    missingReason.terraform = 'the controller was started without --modules-dir';
  }
  builtin.http = createHttpDriver({ secrets: opts.secrets, clock: opts.clock, ownPorts: opts.ownPorts, timeoutMs: opts.timeoutMs });
  for (const kind of BUILTIN_DRIVER_KINDS) {
    if (fs.existsSync(path.join(opts.driverDir, kind))) {
      opts.log.warn(`the driver dir holds a program named "${kind}"; templates naming "${kind}" use the built-in ${kind} driver, never that program`, {
        driver_dir: opts.driverDir,
      });
    }
  }
  return { dispatch: new DriverDispatch({ exec, builtin, missingReason, driverDir: opts.driverDir }), terraformRoot };
}
