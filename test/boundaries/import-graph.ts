// The project's import graph, read from the sources (TypeScript and the <script> blocks of .vue files)
// with TypeScript's own pre-processor, so `import type`, `export … from` and dynamic `import()` all
// count. Used by imports.test.ts to keep the layers apart and the graph free of cycles.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** importing file, relative to the root, '/' separated */
  from: string;
  /** the specifier as written */
  spec: string;
  /** the file it resolves to (relative, '/' separated), or null for a package or an unresolved path */
  to: string | null;
}

const SOURCE = /\.(ts|mts|vue|mjs|js)$/;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
}

/** the script text of a file (for .vue, every <script> block joined) */
function scriptOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.vue')) return text;
  const blocks = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  return blocks.join('\n');
}

const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join('/');

function resolve(root: string, fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return null;
  const base = path.resolve(path.dirname(fromFile), spec);
  const tries = [base, `${base}.ts`, `${base}.vue`, `${base}.mjs`, `${base}.js`, path.join(base, 'index.ts')];
  // `./x.js` written for a TypeScript file
  if (/\.m?js$/.test(base)) tries.push(base.replace(/\.m?js$/, '.ts'));
  for (const t of tries) if (existsSync(t) && statSync(t).isFile()) return rel(root, t);
  // resolves outside the known files (e.g. a JSON module or a missing file): keep the path so rules still see it
  return rel(root, base);
}

/** every import of every source file under `dirs` (relative to root) */
export function importEdges(root: string, dirs: readonly string[]): ImportEdge[] {
  const files: string[] = [];
  for (const d of dirs) if (existsSync(path.join(root, d))) walk(path.join(root, d), files);
  const edges: ImportEdge[] = [];
  for (const f of files.sort()) {
    const info = ts.preProcessFile(scriptOf(f), true, true);
    for (const i of info.importedFiles) edges.push({ from: rel(root, f), spec: i.fileName, to: resolve(root, f, i.fileName) });
  }
  return edges;
}

/** every cycle, as the list of files on it (first file repeated at the end), found by Tarjan's SCCs */
export function cycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (comp.length > 1 || selfLoop) out.push(pathThrough(comp.sort(), next));
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);
  return out;
}

/** one concrete loop through a strongly connected set, for a readable message */
function pathThrough(comp: string[], next: Map<string, string[]>): string[] {
  const inComp = new Set(comp);
  const start = comp[0]!;
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const loop = [v];
        for (let x = v; x !== start; x = seen.get(x)!) loop.push(seen.get(x)!);
        return [...loop.reverse(), start];
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...comp, start];
}

/** packages core/ must never use: it is pure Node, shared by the CLI, workers and the app */
const FORBIDDEN_IN_CORE = /^(electron|vue|pinia|@vue\/|@electron\/|@vitejs\/)/;

/** imports that break a layer rule: core/ reaching into test/, the app, or electron/vue */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const bad: string[] = [];
  for (const e of edges) {
    if (!e.from.startsWith('core/')) continue;
    if (e.to === null) {
      if (FORBIDDEN_IN_CORE.test(e.spec)) bad.push(`${e.from} imports ${e.spec} (core/ never uses electron or vue)`);
    } else if (!e.to.startsWith('core/')) {
      bad.push(`${e.from} imports ${e.spec} → ${e.to} (core/ imports nothing outside core/)`);
    }
  }
  return bad;
}
