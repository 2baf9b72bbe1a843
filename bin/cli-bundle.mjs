// Running the CLI's TypeScript sources from one esbuild bundle instead of through tsx's loader: tsx
// resolves and loads each of about a hundred modules through a loader thread, which costs a few
// tenths of a second to most of a second per command; one bundled file loads in a few milliseconds.
//
// The bundle is cached (node_modules/.cache/unfold) beside a manifest naming every file the build
// read and the SHA-256 of the exact bytes it read (taken by the plugin that loaded them, so a file
// edited during a build cannot slip through). A run hashes those files again and uses the bundle
// only when every one is unchanged; otherwise it builds afresh. So the current sources always run,
// offline, from any working directory. Any failure (no esbuild, a read-only cache, a build error)
// returns null and the caller loads the sources through tsx as before.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FORMAT = 1;
/** @param {string | Uint8Array} b */
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** files outside the module graph that change what esbuild makes of it */
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'tsconfig.node.json'];

/** @type {Record<string, 'ts' | 'js' | 'json'>} */
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/**
 * SHA-256 of each file (paths relative to root; null for one that cannot be read)
 * @param {string} root
 * @param {string[]} files
 * @returns {Record<string, string | null>}
 */
function hashes(root, files) {
  /** @type {Record<string, string | null>} */
  const out = {};
  for (const f of files) {
    try {
      out[f] = sha256(readFileSync(path.join(root, f)));
    } catch {
      out[f] = null;
    }
  }
  return out;
}

/**
 * @param {Record<string, string | null>} a
 * @param {Record<string, string | null>} b
 */
function sameHashes(a, b) {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] !== null && a[k] === b[k]);
}

/**
 * @param {string} file
 * @param {string | Uint8Array} data
 */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * Loads every source file of the repository itself, records the SHA-256 of the bytes handed to
 * esbuild, and gives each module its own import.meta.url (a bundle would otherwise give every
 * module the bundle's URL, and modules find files beside themselves with it).
 * @param {string} root
 * @param {Record<string, string | null>} seen
 * @returns {import('esbuild').Plugin}
 */
function sourcePlugin(root, seen) {
  return {
    name: 'unfold-sources',
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]s|json)$/ }, (args) => {
        const rel = path.relative(root, args.path);
        if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) return undefined;
        const bytes = readFileSync(args.path);
        seen[rel.split(path.sep).join('/')] = sha256(bytes);
        const loader = LOADERS[path.extname(args.path)];
        let contents = bytes.toString('utf8');
        if (loader !== 'json') contents = contents.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader };
      });
    },
  };
}

/**
 * The path of an up-to-date bundle of `entry` (an absolute path under `root`), building it when the
 * cached one is missing or any file it was built from has changed; `built` says which. Throws when
 * it cannot be had (the caller falls back to tsx).
 * @param {string} entry
 * @param {{ root: string; cacheDir: string }} where
 * @returns {Promise<{ file: string; built: boolean }>}
 */
export async function bundledEntry(entry, { root, cacheDir }) {
  const key = sha256(path.resolve(entry)).slice(0, 16);
  const manifestPath = path.join(cacheDir, `cli-${key}.json`);
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const bundle = path.join(cacheDir, m.bundle);
    if (m.format === FORMAT && m.entry === path.resolve(entry) && existsSync(bundle) && sameHashes(m.files, hashes(root, Object.keys(m.files)))) {
      return { file: bundle, built: false };
    }
  } catch {
    // no manifest yet, or an unreadable one: build
  }
  // a cache that cannot be written (a read-only install) would cost every run a build for nothing
  mkdirSync(cacheDir, { recursive: true });
  accessSync(cacheDir, constants.W_OK);
  const require = createRequire(import.meta.url);
  /** @type {typeof import('esbuild')} */
  const esbuild = require('esbuild');
  /** @type {Record<string, string | null>} */
  const seen = {};
  const r = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    plugins: [sourcePlugin(root, seen)],
  });
  const code = /** @type {import('esbuild').OutputFile[]} */ (r.outputFiles)[0].contents;
  const name = `cli-${key}-${sha256(code).slice(0, 16)}.mjs`;
  const bundle = path.join(cacheDir, name);
  if (!existsSync(bundle)) writeAtomic(bundle, code);
  const files = { ...seen, ...hashes(root, CONFIG_FILES.filter((f) => existsSync(path.join(root, f)))) };
  writeAtomic(manifestPath, JSON.stringify({ format: FORMAT, entry: path.resolve(entry), bundle: name, esbuild: esbuild.version, files }));
  // older bundles of this entry: a run started before this build already has its file loaded
  for (const f of readdirSync(cacheDir)) {
    if (!f.startsWith(`cli-${key}-`) || !f.endsWith('.mjs') || f === name) continue;
    try {
      if (Date.now() - statSync(path.join(cacheDir, f)).mtimeMs > 3600_000) unlinkSync(path.join(cacheDir, f));
    } catch {
      // another run removed it, or the cache is read-only: harmless
    }
  }
  return { file: bundle, built: true };
}

/**
 * The module `entryTs` (a .ts file of this repository): from its cached bundle, else through tsx.
 * UNFOLD_FROM_SOURCE=1 skips the bundle.
 * @param {string} entryTs
 * @returns {Promise<any>}
 */
export async function loadEntry(entryTs) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (process.env.UNFOLD_FROM_SOURCE !== '1') {
    try {
      const { file } = await bundledEntry(entryTs, { root, cacheDir: path.join(root, 'node_modules', '.cache', 'unfold') });
      return await import(pathToFileURL(file).href);
    } catch {
      // fall through to tsx
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(entryTs).href);
}
