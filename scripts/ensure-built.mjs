#!/usr/bin/env node
// `npm start` and `npm test` on a fresh clone: install dependencies when they are missing, make
// sure the embedded store's native addon (better-sqlite3) loads on this machine, then compile
// (incrementally, so a warm start costs about a second).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };
const loud = { stdio: ['ignore', 'inherit', 'inherit'] };

function run(cmd, args, opts = loud) {
  return spawnSync(cmd, args, { ...opts, shell: process.platform === 'win32' }).status === 0;
}

function addonLoads() {
  return run(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], quiet);
}

function has(tool) {
  return run('sh', ['-c', `command -v ${tool}`], quiet);
}

/** One line a newcomer can act on: what is missing and the command that installs it. */
function explainBuildFailure() {
  const missing = ['g++', 'make', 'python3'].filter((t) => !has(t));
  const what = missing.length > 0 ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing` : 'the compiler failed (see the output above)';
  process.stderr.write(
    `telemcp: the embedded store's SQLite addon (better-sqlite3) could not be built for Node ${process.version}: ${what}. ` +
      'Install a C++ toolchain (Debian/Ubuntu: sudo apt-get install -y build-essential python3; Fedora: sudo dnf install gcc-c++ make python3; macOS: xcode-select --install), then run the command again.\n',
  );
  process.exit(1);
}

if (!existsSync('node_modules/.package-lock.json')) {
  process.stderr.write('telemcp: installing dependencies (npm ci)…\n');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    if (!addonLoads()) explainBuildFailure();
    process.exit(1);
  }
}
// A tree installed with --ignore-scripts, or for another Node version, has no usable addon.
if (!addonLoads()) {
  process.stderr.write('telemcp: building the embedded store\'s SQLite addon for this Node version (npm rebuild better-sqlite3)…\n');
  if (!run('npm', ['rebuild', 'better-sqlite3']) || !addonLoads()) explainBuildFailure();
}
if (!run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'])) process.exit(1);
