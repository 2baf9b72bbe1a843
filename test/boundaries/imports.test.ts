// The module graph stays a layered tree: no import cycles anywhere in the product, and core/ (pure Node,
// shared by CLI, workers and app) never imports test code, the app, electron or vue.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cycles, importEdges, layerViolations } from './import-graph';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PRODUCT = ['core', 'main', 'preload', 'renderer'] as const;

describe('the repository', () => {
  const edges = importEdges(ROOT, PRODUCT);

  it('reads the imports of every product file, .vue scripts included', () => {
    expect(edges.some((e) => e.from === 'renderer/src/App.vue' && e.to?.startsWith('renderer/src/stores/'))).toBe(true);
    expect(edges.some((e) => e.from === 'preload/index.ts' && e.spec === 'electron')).toBe(true);
    // import type and dynamic import() count as edges too
    expect(edges).toContainEqual({ from: 'core/search/hits.ts', spec: './types', to: 'core/search/types.ts' });
    expect(edges).toContainEqual({ from: 'core/cli/main.ts', spec: './commands', to: 'core/cli/commands.ts' });
  });

  it('has no import cycle in core/, main/, preload/ or renderer/', () => {
    expect(cycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });

  it('keeps core/ free of test code, the app, electron and vue', () => {
    expect(layerViolations(edges)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unfold-imports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  put('core/a.ts', "import type { B } from './b';\nexport const a = 1;\n");
  put('core/b.ts', "export type B = number;\nexport async function f() { return import('./c'); }\n");
  put('core/c.ts', "export { a } from './a';\n");
  put('core/d.ts', "import { scenario } from '../test/synth/x';\nimport { app } from 'electron';\nimport { ref } from 'vue';\nimport x from 'commander';\n");
  put('core/self.ts', "import './self';\n");
  put('renderer/V.vue', "<template><div/></template>\n<script setup lang=\"ts\">\nimport { a } from '../core/a';\n</script>\n");
  put('test/synth/x.ts', 'export const scenario = 1;\n');
  const edges = importEdges(dir, PRODUCT);

  it('finds a cycle made of a type import, a dynamic import and a re-export, and a self-import', () => {
    expect(cycles(edges)).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts', 'core/a.ts'], ['core/self.ts', 'core/self.ts']]);
  });

  it('names every forbidden import of core/ and nothing else', () => {
    expect(layerViolations(edges)).toEqual([
      "core/d.ts imports ../test/synth/x → test/synth/x.ts (core/ imports nothing outside core/)",
      'core/d.ts imports electron (core/ never uses electron or vue)',
      'core/d.ts imports vue (core/ never uses electron or vue)',
    ]);
  });

  it('reads .vue script blocks', () => {
    expect(edges).toContainEqual({ from: 'renderer/V.vue', spec: '../core/a', to: 'core/a.ts' });
  });
});
