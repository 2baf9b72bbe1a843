// Writes a process scenario of the test-image builder as a raw image plus ISF for the Volatility 3
// mac.pslist / mac.proc_maps cross-check in VOLATILITY3-CHECK.md, and prints what the builder's truth
// says those plugins should list. Usage: npx tsx test/synth/vol3-procs.ts <out-dir> <scenario> [dump-dir]
// With a dump dir (mac.proc_maps --dump output), compares every page of every pid.<pid>.vma.*.dmp with
// what page-table-only reading must give: the bytes of resident pages the PTEs map, zeros elsewhere.
// Not part of the test suite.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isfToJson } from '../../core/synth/isf';
import { buildScenario } from '../../core/synth/scenarios';

const out = process.argv[2] ?? '/tmp/unfold-vol3-procs';
const name = process.argv[3] ?? 'F4-x86_64';
const b = buildScenario(name);
const isf = b.image.isf;
// Volatility 3's MacKernelIntermedSymbols binds classes to these names; a real ISF has them all
for (const t of ['vm_map_object', 'fileglob', 'vnode', 'socket', 'inpcb', 'ifnet', 'sockaddr_dl', 'sockaddr', 'sysctl_oid', 'kauth_scope']) {
  isf.user_types[t] ??= { kind: 'struct', size: 8, fields: { unused: { offset: 0, type: { kind: 'base', name: 'unsigned long long' } } } };
}
mkdirSync(join(out, 'symbols', 'mac'), { recursive: true });
writeFileSync(join(out, 'symbols', 'mac', 'synth.json'), isfToJson(isf));
const fd = openSync(join(out, 'image.raw'), 'w');
ftruncateSync(fd, b.image.memory.size);
for (const c of b.image.memory.chunks) writeSync(fd, c.data, 0, c.data.length, c.start);
closeSync(fd);
const p = b.procs!;
const hex = (v: bigint) => '0x' + v.toString(16);
console.log(JSON.stringify({ scenario: name, banner: b.image.banner, rules: p.rules }));
for (const pr of p.processes) console.log(['PSLIST', hex(pr.proc), pr.name, pr.pid, pr.ppid].join('\t'));
// on the tasks queue only: what the tasks method of pslist adds to the allproc list
for (const t of p.strayTasks) console.log(['STRAY', hex(t.proc), t.name, t.pid, t.ppid].join('\t'));
for (const pr of p.processes) for (const r of pr.regions) console.log(['MAPS', pr.pid, pr.name, hex(r.start), hex(r.end), r.protection, r.tag].join('\t'));

const dumps = process.argv[4];
if (dumps) {
  const sha = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');
  const zero = sha(new Uint8Array(p.pageSize));
  const tally = { files: 0, pages: 0, same: 0, residentBytes: 0, zeroFilled: 0, differ: 0 };
  for (const pr of p.processes) {
    for (const r of pr.regions) {
      const f = join(dumps, `pid.${pr.pid}.vma.${hex(r.start)}-${hex(r.end)}.dmp`);
      if (!existsSync(f)) continue;
      tally.files++;
      const data = readFileSync(f);
      r.pages.forEach((pg, i) => {
        tally.pages++;
        const got = sha(data.subarray(i * p.pageSize, (i + 1) * p.pageSize));
        const want = pg.state === 'resident' && pg.pte ? pg.sha256 : zero;
        if (got === want) {
          tally.same++;
          if (want === zero) tally.zeroFilled++;
          else tally.residentBytes++;
        } else {
          tally.differ++;
          console.log(['DIFF', pr.pid, hex(pg.va), pg.state].join('\t'));
        }
      });
    }
  }
  console.log('DUMPS ' + JSON.stringify(tally));
}
