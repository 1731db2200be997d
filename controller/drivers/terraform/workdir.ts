/**
 * Each terraform-driven instance is a root module in its own working directory under the driver's root:
 * `<root>/instances/<instance id>/` holds a copy of the template's module, its `.terraform` and its local state.
 * The module is copied once, at the first operation, so a later delete destroys exactly what the instance was
 * created with even if the module on disk has changed since (as a template version pins what it was stored with).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boundedText } from '../../net/outbound';

/** Files of a module directory that belong to a run there, never to the module. */
const NOT_COPIED = new Set(['.terraform', 'terraform.tfstate', 'terraform.tfstate.backup', '.terraform.tfstate.lock.info']);
/** Written last into a fully copied working directory. */
const PREPARED_MARK = '.prewarm-module';
/** Written after a successful `init`, so later operations skip it. */
const INIT_MARK = '.prewarm-init';
/** The process group of the terraform command running in the directory, for a re-drive after a crash. */
const RUN_RECORD = '.prewarm-run.json';
export const LOCK_INFO = '.terraform.tfstate.lock.info';
/** terraform's output for the command running now (and, after a crash, for the one that was). */
export const OUTPUT_LOG = '.prewarm-output.log';
/** `output -json`'s stdout. */
export const OUTPUTS_JSON = '.prewarm-outputs.json';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function instanceDir(root: string, instanceId: string): string {
  // Instance ids are made by the controller, but the id becomes a path: never let one name another directory.
  if (!INSTANCE_ID.test(instanceId)) throw new Error(`instance id ${JSON.stringify(instanceId)} cannot name a working directory`);
  return path.join(root, 'instances', instanceId);
}

export function isPrepared(dir: string): boolean {
  return fs.existsSync(path.join(dir, PREPARED_MARK));
}

/**
 * Copies `moduleDir` into `dir` unless it is already there. The copy is made beside it and renamed into place, so a
 * crash mid-copy leaves a staging directory (removed on the next try) rather than a half-copied module.
 */
export function prepare(moduleDir: string, dir: string): void {
  if (isPrepared(dir)) return;
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  const base = path.basename(dir);
  for (const name of fs.readdirSync(parent)) {
    if (name.startsWith(`.${base}.staging-`)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  const staging = path.join(parent, `.${base}.staging-${randomBytes(4).toString('hex')}`);
  fs.cpSync(moduleDir, staging, {
    recursive: true,
    // A module's relative symlinks would point nowhere once copied: copy what they point at.
    dereference: true,
    filter: (src) => src === moduleDir || !NOT_COPIED.has(path.basename(src)),
  });
  fs.writeFileSync(path.join(staging, PREPARED_MARK), `${moduleDir}\n`);
  // A directory left without its mark (only possible if someone made it by hand) is replaced.
  if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
}

export function isInitialized(dir: string): boolean {
  return fs.existsSync(path.join(dir, INIT_MARK));
}

export function markInitialized(dir: string): void {
  fs.writeFileSync(path.join(dir, INIT_MARK), '');
}

export function remove(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface RunRecord {
  pgid: number;
  /** The leader's start time in clock ticks since boot (/proc/<pid>/stat field 22), to tell a reused pid apart. */
  startTicks: number | null;
  op: string;
  /** Where it ran: a process id means nothing on another machine, or after a reboot. */
  host: string;
  bootId: string | null;
  /** The controller replica that started it (null in records written before replicas were recorded). */
  replica: string | null;
}

/** This machine's name and boot, for run records. */
export function here(): { host: string; bootId: string | null } {
  let bootId: string | null = null;
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    // not Linux
  }
  return { host: os.hostname(), bootId };
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  fs.writeFileSync(path.join(dir, RUN_RECORD), `${JSON.stringify(record)}\n`);
}

/** A host name or replica id from a run record as a job message shows it: quoted, one line, no control or bidi characters. */
export function shownName(name: string): string {
  return JSON.stringify(boundedText(name, 100));
}

export function readRunRecord(dir: string): RunRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, RUN_RECORD), 'utf8');
  } catch {
    return null;
  }
  try {
    const doc = JSON.parse(text) as Partial<RunRecord>;
    if (typeof doc.pgid !== 'number' || !Number.isInteger(doc.pgid) || doc.pgid <= 1) return null;
    return {
      pgid: doc.pgid,
      startTicks: typeof doc.startTicks === 'number' ? doc.startTicks : null,
      // Compared as written (bounded); job messages show them through shownName.
      op: typeof doc.op === 'string' && /^[a-z-]{1,32}$/.test(doc.op) ? doc.op : 'unknown',
      host: typeof doc.host === 'string' ? doc.host.slice(0, 255) : '',
      bootId: typeof doc.bootId === 'string' ? doc.bootId : null,
      replica: typeof doc.replica === 'string' && doc.replica !== '' ? doc.replica.slice(0, 255) : null,
    };
  } catch {
    // Torn by a crash while it was being written, right after its command started: that command cannot be found,
    // and the state lock (if it still runs) makes the next terraform command fail and retry.
    return null;
  }
}

export function clearRunRecord(dir: string): void {
  fs.rmSync(path.join(dir, RUN_RECORD), { force: true });
}

/**
 * How long the recorded run has written nothing: from the newest modification of its run record and output log to
 * a probe written now in the same directory. Both times come from the file system holding the directory (on a
 * network file system, its server), so the clocks of the hosts that share it do not matter.
 */
export function silentForMs(dir: string): number {
  // Written and removed at once; a name of its own, so two hosts looking at the same moment do not share it.
  const probe = path.join(dir, `.prewarm-clock-probe-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(probe, '');
  let now: number;
  try {
    now = fs.statSync(probe).mtimeMs;
  } finally {
    fs.rmSync(probe, { force: true });
  }
  let last = -Infinity;
  for (const file of [RUN_RECORD, OUTPUT_LOG]) {
    try {
      last = Math.max(last, fs.statSync(path.join(dir, file)).mtimeMs);
    } catch {
      // not there
    }
  }
  return last === -Infinity ? Infinity : Math.max(0, now - last);
}

/** A process's start time from /proc, or null when it does not exist (or /proc is not there). */
export function processStartTicks(pid: number): number | null {
  const fields = statFields(pid);
  const ticks = Number(fields?.[19]);
  return fields && Number.isFinite(ticks) ? ticks : null;
}

/**
 * /proc/<pid>/stat from field 3 on (state, ppid, pgrp, …), or null when the process is gone. The command name
 * (field 2) may contain spaces and parentheses, so fields are counted after its closing one.
 */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * True while any process of the recorded group is alive. A leader that exited leaves its group id reserved while
 * members remain, so a live group whose leader is gone is still ours; a live leader with another start time is an
 * unrelated process that reused the id, and the group we recorded is gone. Zombies do not count: an orphan that
 * died is reparented to an init that may never reap it, and kill(-pgid, 0) would report it alive forever.
 */
export function recordedGroupAlive(record: RunRecord): boolean {
  const ticks = processStartTicks(record.pgid);
  if (ticks !== null && record.startTicks !== null && ticks !== record.startTicks) return false;
  const members = liveGroupMembers(record.pgid);
  if (members !== null) return members > 0;
  try {
    process.kill(-record.pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes of group `pgid` that are not zombies, from /proc; null without /proc. */
function liveGroupMembers(pgid: number): number | null {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let live = 0;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(name); // null: exited while we looked
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') live++;
  }
  return live;
}

export function hasLockInfo(dir: string): boolean {
  return fs.existsSync(path.join(dir, LOCK_INFO));
}

/** Removes the local backend's lock description; only called once its holder is known to be gone. */
export function clearStaleLock(dir: string): boolean {
  const file = path.join(dir, LOCK_INFO);
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/**
 * Whether the state holds any resource. A create that failed before building anything (a configuration error, a
 * first resource that failed) leaves none, and its delete then has nothing to destroy: it must not need a working
 * `init` or variables, or a broken module's instances could never be deleted.
 */
export function stateHasResources(dir: string): boolean {
  // State that terraform could not save, or kept under a workspace, counts as resources: only an empty
  // terraform.tfstate (or none, with nothing else) proves there is nothing to destroy.
  if (fs.existsSync(path.join(dir, 'errored.tfstate')) || fs.existsSync(path.join(dir, 'terraform.tfstate.d'))) return true;
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  try {
    const doc = JSON.parse(text) as { resources?: unknown };
    return !Array.isArray(doc.resources) || doc.resources.length > 0;
  } catch {
    // Unreadable state: let terraform judge it.
    return true;
  }
}

/**
 * Which instances were ever given a working directory under this root, and which of those were destroyed. A delete
 * that finds no directory can then tell "never created here, or already destroyed" (nothing to do) from "created and
 * since gone missing" (resources may exist that nothing tracks any more: an operator must look).
 */
export type Footprint = 'none' | 'created' | 'destroyed';

function footprintFile(root: string, instanceId: string): string {
  return path.join(root, 'footprints', instanceId);
}

export function readFootprint(root: string, instanceId: string): Footprint {
  try {
    return fs.readFileSync(footprintFile(root, instanceId), 'utf8').trim() === 'destroyed' ? 'destroyed' : 'created';
  } catch {
    return 'none';
  }
}

export function writeFootprint(root: string, instanceId: string, footprint: Exclude<Footprint, 'none'>): void {
  fs.mkdirSync(path.join(root, 'footprints'), { recursive: true, mode: 0o700 });
  const file = footprintFile(root, instanceId);
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, `${footprint}\n`);
  fs.renameSync(tmp, file);
}

/**
 * Removes the footprints of instances destroyed before `beforeMs`; the ones still created are never removed. Runs in
 * the background (one file at a time), so a root with many instances adds nothing to the controller's start.
 */
export async function pruneFootprints(root: string, beforeMs: number): Promise<void> {
  const dir = path.join(root, 'footprints');
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      if ((await fs.promises.stat(file)).mtimeMs >= beforeMs) continue;
      if ((await fs.promises.readFile(file, 'utf8')).trim() === 'destroyed') await fs.promises.rm(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}
