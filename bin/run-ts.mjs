#!/usr/bin/env node
// Runs a TypeScript entry point of this repository with tsx's loader, so the CLI, benchmarks and
// worker threads all run the same sources the tests run (no separate build step to forget).
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts.mjs <file.ts> [args…]');
  process.exit(64);
}
process.argv.splice(2, 1);
await import(pathToFileURL(path.resolve(entry)).href);
