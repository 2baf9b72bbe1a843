// Property tests run with a fixed seed so that a CI run is reproducible; set FC_SEED to explore others.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261125) });

// the ISF index cache goes to a per-run file, never the user's own cache folder
import { tmpdir } from 'node:os';
import path from 'node:path';
process.env.UNFOLD_ISF_CACHE ??= path.join(tmpdir(), `unfold-test-isf-index-${process.pid}.json`);
