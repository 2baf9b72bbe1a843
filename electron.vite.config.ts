// Builds the three parts of the desktop app into out/: main (the Electron main process, plus the case
// worker and core's decode worker, which run as worker threads and so need files of their own), preload
// (CommonJS: a sandboxed preload cannot be an ES module) and the renderer (Vue). No Electron binary is
// needed to build. Browser mode needs only the renderer: main/renderer-build.ts builds it from
// `rendererConfig` below, so both builds come from one description.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const root = import.meta.dirname;

export const rendererConfig = {
  root: resolve(root, 'renderer'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: resolve(root, 'out/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
  },
};

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          'case-worker': resolve(root, 'main/case-worker.ts'),
          'decode-worker': resolve(root, 'core/work/decode-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rolldownOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
