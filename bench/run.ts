// `npm run bench [-- --json] [-- --quick] [-- --only=codecs,walk] [-- --out=FILE]`: runs every benchmark
// module and prints one JSON object (with --json) merging their keys, or a readable report. npm itself
// prints its "> unfold@… bench" banner on stdout before any script runs, and the project does not
// silence npm; so the JSON object is always the LAST line of stdout, progress goes to stderr, and
// --out=FILE also writes the object to a file (atomically) for a consumer that wants nothing else.
import { pathToFileURL } from 'node:url';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const outArg = args.find((a) => a.startsWith('--out='));
const outFile = outArg ? path.resolve(outArg.slice('--out='.length)) : null;

// order matters: later modules report ratios against figures of earlier ones
const modules = ['codecs', 'open', 'search', 'walk', 'progressive', 'swap', 'owners'];

const out: Record<string, number | string> = {};
const log = (s: string) => (json ? process.stderr.write(s + '\n') : process.stdout.write(s + '\n'));

for (const name of modules) {
  if (only && !only.has(name)) continue;
  const file = path.resolve('bench', `${name}.ts`);
  if (!existsSync(file)) continue;
  log(`\n== bench/${name}.ts`);
  const mod = (await import(pathToFileURL(file).href)) as {
    run: (o: { json: boolean; quick: boolean; previous: Record<string, number | string> }) => Promise<Record<string, number | string>>;
  };
  const t0 = Date.now();
  const res = await mod.run({ json, quick, previous: { ...out } });
  Object.assign(out, res);
  log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

if (outFile) {
  const tmp = `${outFile}.partial-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(out, null, 2) + '\n');
  renameSync(tmp, outFile);
}
if (json) process.stdout.write(JSON.stringify(out) + '\n');
else {
  console.log('\nSummary');
  for (const [k, v] of Object.entries(out)) console.log(`  ${k.padEnd(34)} ${typeof v === 'number' ? Number(v.toFixed(3)) : v}`);
}
