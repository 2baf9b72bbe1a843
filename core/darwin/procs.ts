// The process list (process-memory.md §1): allproc (which holds kernproc) walked as a BSD list, each
// proc's pid, parent, names and task by the rule of its version, the task's map and the map's pmap
// root; cross-checked against the kernel's second list, the `tasks` queue. A smeared or looping list
// ends with a problem naming where it broke; the processes read before it are kept.
import { UnfoldError } from '../errors';
import { attempt, type KernelContext } from './kernel';
import type { KObject } from './kobject';
import { walkBsdList, walkQueue } from './lists';
import { P_LHASTASK, PMAP_ROOT_FIELD, TASK_ALIGN_FALLBACK, procTaskRule } from './vm-rules';

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** p_comm */
  name: string;
  /** p_name where the proc has it (else the same as name) */
  pName: string;
  proc: bigint;
  /** 0 when the proc has no task (13+ without P_LHASTASK, or an unreadable pointer) */
  task: bigint;
  /** 0 when the task or its map is unreadable */
  map: bigint;
  pmap: bigint;
  /** physical address of the page-table root (pm_cr3 / ttep), null when unreadable */
  pmapRoot: number | null;
  /** the map's page size (1 << hdr.page_shift), the kernel page size when unreadable */
  pageSize: number;
  /** what could not be read about this process */
  problems: string[];
}

export interface ProcessWalk {
  /** by pid ascending (pid 0 first) */
  processes: ProcessInfo[];
  /** list breaks, cross-check mismatches */
  problems: string[];
  /** tasks on the `tasks` queue whose proc is not on allproc */
  orphanTasks: bigint[];
  /** processes on zombproc (exited, not reaped): no task, no map */
  zombies: Array<{ pid: number; ppid: number; name: string; proc: bigint }>;
}

/** the task of a proc by the rule of its version; 0 when it has none */
function taskOf(ctx: KernelContext, p: KObject, rule: 'P1-P3' | 'P4', procSize: bigint | null): bigint {
  if (rule === 'P1-P3') return p.pointer('task');
  if (procSize === null) return 0n;
  return (p.num('p_lflag') & P_LHASTASK) !== 0 ? p.address + procSize : 0n;
}

/** 13+: proc_struct_size from the image, else sizeof(proc) rounded up to the task alignment */
function procStructSize(ctx: KernelContext, problems: string[]): bigint | null {
  const v = attempt(() => ctx.u64Global('proc_struct_size'));
  if (!(v instanceof UnfoldError) && v > 0n && v < 0x10000n) return v;
  const size = attempt(() => ctx.sizeOf('proc'));
  if (size instanceof UnfoldError) return null;
  const a = TASK_ALIGN_FALLBACK;
  const rounded = BigInt(Math.ceil(size / a) * a);
  problems.push(`proc_struct_size ${v instanceof UnfoldError ? `not readable (${v.message})` : `reads ${hex(v)}`}; using sizeof(proc) rounded to ${a}: ${hex(rounded)}`);
  return rounded;
}

export function walkProcesses(ctx: KernelContext): ProcessWalk {
  const problems: string[] = [];
  const rule = procTaskRule(ctx);
  const procSize = rule === 'P4' ? procStructSize(ctx, problems) : null;
  const list = walkBsdList(ctx, { head: ctx.global('allproc'), type: 'proc', link: 'p_list', backLinks: 'note' });
  if (list.problem) problems.push(`allproc: ${list.problem.message}`);
  for (const n of list.notes) problems.push(`allproc: ${n.message}`);
  const procs = [...list.items];
  const seen = new Set(procs.map((p) => p.address));
  // kernproc is on allproc; when the list broke before it, read it from its own global
  const kp = attempt(() => ctx.pointerGlobal('kernproc'));
  if (!(kp instanceof UnfoldError) && kp !== 0n && !seen.has(kp)) {
    const o = ctx.tryObject('proc', kp);
    if (o instanceof UnfoldError) problems.push(`kernproc ${hex(kp)}: ${o.message}`);
    else {
      procs.push(o);
      seen.add(kp);
      if (list.problem === null) problems.push(`kernproc ${hex(kp)} is not on allproc`);
    }
  }

  const hasPName = ctx.hasField('proc', 'p_name');
  const hasPpid = ctx.hasField('proc', 'p_ppid');
  const rootField = PMAP_ROOT_FIELD[ctx.arch];
  const out: ProcessInfo[] = [];
  for (const p of procs) {
    const own: string[] = [];
    const pid = p.num('p_pid');
    const name = p.cstring('p_comm');
    let ppid = hasPpid ? p.num('p_ppid') : -1;
    if (!hasPpid) {
      const parent = attempt(() => ctx.object('proc', p.pointer('p_pptr')).num('p_pid'));
      ppid = parent instanceof UnfoldError ? -1 : parent;
    }
    const task = taskOf(ctx, p, rule, procSize);
    let map = 0n;
    let pmap = 0n;
    let pmapRoot: number | null = null;
    let pageSize = ctx.pageSize;
    if (task === 0n) own.push('no task');
    else {
      const m = attempt(() => ctx.object('task', task).pointer('map'));
      if (m instanceof UnfoldError) own.push(`task ${hex(task)}: ${m.message}`);
      else map = m;
    }
    if (map !== 0n) {
      const mo = ctx.tryObject('_vm_map', map);
      if (mo instanceof UnfoldError) own.push(`map ${hex(map)}: ${mo.message}`);
      else {
        pmap = mo.pointer('pmap');
        if (mo.has('hdr.page_shift')) {
          const shift = mo.num('hdr.page_shift');
          if (shift >= 12 && shift <= 16) pageSize = 1 << shift;
        }
        if (ctx.hasType('pmap') && ctx.hasField('pmap', rootField) && pmap !== 0n) {
          const r = attempt(() => ctx.object('pmap', pmap).u64(rootField));
          if (r instanceof UnfoldError) own.push(`pmap ${hex(pmap)}: ${r.message}`);
          else pmapRoot = Number(r);
        }
      }
    }
    out.push({ pid, ppid, name, pName: hasPName ? p.cstring('p_name') : name, proc: p.address, task, map, pmap, pmapRoot, pageSize, problems: own });
  }
  out.sort((a, b) => a.pid - b.pid || (a.proc < b.proc ? -1 : 1));

  // the tasks queue: every task of a proc should be on it, and every task on it should have a proc
  const orphanTasks: bigint[] = [];
  if (ctx.tryGlobal('tasks') !== null) {
    const q = walkQueue(ctx, { head: ctx.global('tasks'), type: 'task', chain: 'tasks', backLinks: 'note' });
    if (q.problem) problems.push(`tasks: ${q.problem.message}`);
    for (const n of q.notes) problems.push(`tasks: ${n.message}`);
    const queued = new Set(q.items.map((t) => t.address));
    const procTasks = new Set(out.map((p) => p.task));
    for (const t of q.items) if (!procTasks.has(t.address)) orphanTasks.push(t.address);
    if (orphanTasks.length > 0) problems.push(`tasks queue: ${orphanTasks.length} task(s) without a proc on allproc: ${orphanTasks.map(hex).join(', ')}`);
    if (q.problem === null) {
      for (const p of out) if (p.task !== 0n && !queued.has(p.task)) problems.push(`pid ${p.pid}: task ${hex(p.task)} is not on the tasks queue`);
    }
  }
  // zombproc: exited processes not yet reaped (their memory may still hold compressed pages, unowned)
  const zombies: ProcessWalk['zombies'] = [];
  if (ctx.tryGlobal('zombproc') !== null) {
    const z = walkBsdList(ctx, { head: ctx.global('zombproc'), type: 'proc', link: 'p_list', backLinks: 'note' });
    if (z.problem) problems.push(`zombproc: ${z.problem.message}`);
    for (const p of z.items) zombies.push({ pid: p.num('p_pid'), ppid: hasPpid ? p.num('p_ppid') : -1, name: p.cstring('p_comm'), proc: p.address });
    zombies.sort((a, b) => a.pid - b.pid);
  }
  // a task on the queue without a proc on allproc is also not a zombie's (zombies have released theirs)
  return { processes: out, problems, orphanTasks, zombies };
}
