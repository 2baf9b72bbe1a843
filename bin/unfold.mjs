#!/usr/bin/env node
// The `unfold` command: loads core/cli/main.ts through tsx (see run-ts.mjs for why).
import { register } from 'tsx/esm/api';

register();
// `unfold slots … | head` closes the pipe early: that is the reader's choice, not a failure
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../core/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
