#!/usr/bin/env node
// The `unfold` command: core/cli/main.ts, run from a bundle of the current sources that is rebuilt
// whenever one of them changes, or through tsx when that cannot be had (cli-bundle.mjs says why).
import { fileURLToPath } from 'node:url';
import { loadEntry } from './cli-bundle.mjs';

// `unfold slots … | head` closes the pipe early: that is the reader's choice, not a failure
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await loadEntry(fileURLToPath(new URL('../core/cli/main.ts', import.meta.url)));
const code = await main(process.argv.slice(2));
process.exitCode = code;
