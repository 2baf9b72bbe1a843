#!/usr/bin/env node
// The `unfold` command: loads core/cli/main.ts through tsx (see run-ts.mjs for why).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
