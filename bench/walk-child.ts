// Child process of bench/walk.ts: one CLI-style walk of an image, then its peak resident memory
// (worker threads share the process, so this is the whole walk's footprint).
import { openCase } from '../core/case';
import { peakRssMB } from './peak-rss';

const [imagePath, isfPath] = process.argv.slice(2);
const t0 = performance.now();
const c = await openCase(imagePath!, { symbols: isfPath });
const seconds = (performance.now() - t0) / 1000;
let pages = 0;
for (const s of c.segments()) pages += s.liveSlots;
await c.close();
process.stdout.write(JSON.stringify({ seconds, pages, peakRssMB: peakRssMB() }) + '\n');
