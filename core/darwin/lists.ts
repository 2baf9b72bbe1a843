// Bounded, cycle-safe walks of the kernel's linked lists: BSD LIST (le_next/le_prev), Mach queues
// (queue_chain_t next/prev) and the circular vm_map entry list. A memory image is a photograph of a
// running kernel, so lists may be half-updated ("smeared"), loop, or lead into pages the image lacks.
// Every walk therefore keeps a visited set and a bound, never throws on damaged data and never hangs:
// it returns the objects it could read and, when it did not end where the list says it ends, one
// problem naming the address and the reason.
import { UnfoldError } from '../errors';
import type { KernelContext } from './kernel';
import type { KObject } from './kobject';

export type WalkBreak =
  /** an element was reached twice */
  | 'cycle'
  /** an element (or the head) is not in the image */
  | 'unreadable'
  /** the walk reached its bound (max, or the count the kernel recorded) before the list ended */
  | 'bound'
  /** an element's back-link does not point at the element before it */
  | 'smeared'
  /** a link is not a kernel pointer (or is NULL in a circular list) */
  | 'bad-pointer'
  /** the list ended after a different number of elements than the kernel's count says */
  | 'count';

export interface WalkProblem {
  reason: WalkBreak;
  /** the address at fault: the element that could not be read, or the link that was wrong */
  at: bigint;
  /** position in the walk (items read before the problem) */
  index: number;
  message: string;
}

export interface WalkResult {
  /** the elements read, in list order (element base addresses; see KObject.address) */
  items: KObject[];
  /** why the walk stopped before the list's own end, or null when it ended normally */
  problem: WalkProblem | null;
  /** problems that did not stop the walk (back-link mismatches with backLinks 'note', count mismatches) */
  notes: WalkProblem[];
}

export interface WalkOptions {
  /** most elements to read (default 65536) */
  max?: number;
  /** what a wrong back-link does: stop the walk (default), note it and go on, or nothing */
  backLinks?: 'stop' | 'note' | 'ignore';
}

export const DEFAULT_MAX = 65536;
const hex = (v: bigint): string => '0x' + v.toString(16);

interface Step {
  /** where the walk goes next; `end` when the list says it is over */
  next: bigint;
  /** the element's back-link value, or null when the list has none to check */
  back: bigint | null;
}

/**
 * The shared loop. `link` is the value that led to the current element (what the next element's
 * back-link must equal, for the first: `firstBack`); `base(link)` turns a link value into the
 * element's base address; `step(obj)` reads its links.
 */
function walk(
  ctx: KernelContext,
  what: string,
  type: string,
  /** the head's address, named when the head itself links nowhere */
  origin: bigint,
  first: bigint,
  isEnd: (link: bigint) => boolean,
  base: (link: bigint) => bigint,
  step: (obj: KObject) => Step,
  expectBack: (prevLink: bigint | null, prevObj: KObject | null) => bigint | null,
  opts: WalkOptions,
): WalkResult {
  const max = opts.max ?? DEFAULT_MAX;
  const backLinks = opts.backLinks ?? 'stop';
  const items: KObject[] = [];
  const notes: WalkProblem[] = [];
  const seen = new Set<bigint>();
  const stop = (reason: WalkBreak, at: bigint, message: string): WalkResult => ({
    items,
    problem: { reason, at, index: items.length, message: `${what}: ${message}` },
    notes,
  });
  let link = first;
  let prevLink: bigint | null = null;
  let prevObj: KObject | null = null;
  while (!isEnd(link)) {
    if (link === 0n) {
      const from = prevObj ? `the element at ${hex(prevObj.address)}` : 'the head';
      return stop('bad-pointer', prevObj?.address ?? origin, `${from} links to NULL inside a circular list`);
    }
    if (!ctx.isKernelPointer(link)) {
      const from = prevObj ? ` in the element at ${hex(prevObj.address)}` : '';
      return stop('bad-pointer', link, `link ${hex(link)}${from} is not a kernel pointer`);
    }
    if (seen.has(link)) return stop('cycle', link, `element ${hex(base(link))} reached a second time after ${items.length} element(s)`);
    if (items.length >= max) return stop('bound', link, `stopped after ${max} element(s); the list goes on at ${hex(base(link))}`);
    seen.add(link);
    const at = base(link);
    const obj = ctx.tryObject(type, at);
    if (obj instanceof UnfoldError) return stop('unreadable', at, `${type} at ${hex(at)} is not readable (${obj.message})`);
    let s: Step;
    try {
      s = step(obj);
    } catch (err) {
      if (err instanceof UnfoldError) return stop('unreadable', at, `${type} at ${hex(at)}: ${err.message}`);
      throw err;
    }
    if (backLinks !== 'ignore' && s.back !== null) {
      const want = expectBack(prevLink, prevObj);
      if (want !== null && s.back !== want) {
        const p: WalkProblem = {
          reason: 'smeared',
          at,
          index: items.length,
          message: `${what}: the element at ${hex(at)} links back to ${hex(s.back)}, not ${hex(want)} (the list changed while the image was taken, or the element is stale)`,
        };
        if (backLinks === 'stop') return { items, problem: p, notes };
        notes.push(p);
      }
    }
    items.push(obj);
    prevLink = link;
    prevObj = obj;
    link = s.next;
  }
  return { items, problem: null, notes };
}

export interface BsdListSpec extends WalkOptions {
  /** address of the LIST_HEAD (its lh_first), e.g. the slid `allproc` */
  head: bigint;
  /** element type ("proc") */
  type: string;
  /** the LIST_ENTRY field in it ("p_list") */
  link: string;
}

/**
 * A BSD LIST: lh_first → element, element.link.le_next → … → NULL. Each element's le_prev must hold
 * the address of the pointer that led to it (the head's lh_first, or the previous element's le_next).
 */
export function walkBsdList(ctx: KernelContext, spec: BsdListSpec): WalkResult {
  const what = `list ${spec.type}.${spec.link} from ${hex(spec.head)}`;
  let first: bigint;
  try {
    first = ctx.readPointer(spec.head);
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
    return { items: [], problem: { reason: 'unreadable', at: spec.head, index: 0, message: `${what}: the list head is not readable (${err.message})` }, notes: [] };
  }
  const next = `${spec.link}.le_next`;
  const prev = `${spec.link}.le_prev`;
  return walk(
    ctx,
    what,
    spec.type,
    spec.head,
    first,
    (l) => l === 0n,
    (l) => l,
    (o) => ({ next: o.pointer(next), back: o.pointer(prev) }),
    (_pl, po) => (po === null ? spec.head : po.addressOf(next)),
    spec,
  );
}

export interface QueueSpec extends WalkOptions {
  /** address of the queue_head_t (e.g. the slid `tasks`) */
  head: bigint;
  /** element type ("task") */
  type: string;
  /** the queue_chain_t field in it ("tasks") */
  chain: string;
  /**
   * what the links hold: element base addresses (queue_enter with an element type, xnu's classic
   * Mach queues: tasks, swf_global_queue) or the address of the chain field (queue_entry style)
   */
  links?: 'element' | 'field';
}

/** A circular Mach queue: head.next → … → back to the head. Each element's prev must be the link before it. */
export function walkQueue(ctx: KernelContext, spec: QueueSpec): WalkResult {
  const what = `queue ${spec.type}.${spec.chain} at ${hex(spec.head)}`;
  let first: bigint;
  let chainOffset: bigint;
  try {
    first = ctx.readPointer(spec.head);
    chainOffset = BigInt(ctx.field(spec.type, spec.chain).offset);
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
    return { items: [], problem: { reason: 'unreadable', at: spec.head, index: 0, message: `${what}: the queue head is not readable (${err.message})` }, notes: [] };
  }
  const byField = spec.links === 'field';
  const next = `${spec.chain}.next`;
  const prev = `${spec.chain}.prev`;
  return walk(
    ctx,
    what,
    spec.type,
    spec.head,
    first,
    (l) => l === spec.head,
    (l) => (byField ? l - chainOffset : l),
    (o) => ({ next: o.pointer(next), back: o.pointer(prev) }),
    (pl) => pl ?? spec.head,
    spec,
  );
}

export interface MapEntriesSpec extends WalkOptions {
  /** address of the struct _vm_map */
  map: bigint;
  /** map type name (default "_vm_map") */
  mapType?: string;
  /** entry type name (default "vm_map_entry") */
  entryType?: string;
}

export interface MapEntriesResult extends WalkResult {
  /** hdr.nentries as the kernel recorded it, or null when unreadable */
  nentries: number | null;
  /** the header's address (vm_map_to_entry(map)): the list ends when a link returns to it */
  header: bigint;
}

/**
 * The circular entry list of a vm_map: first = map.hdr.links.next; stop when a link returns to the
 * header (&map.hdr.links) or after hdr.nentries entries. Each entry's links.prev must be the entry
 * before it (the header for the first).
 */
export function walkMapEntries(ctx: KernelContext, spec: MapEntriesSpec): MapEntriesResult {
  const mapType = spec.mapType ?? '_vm_map';
  const entryType = spec.entryType ?? 'vm_map_entry';
  const what = `entries of ${mapType} ${hex(spec.map)}`;
  let header: bigint;
  let first: bigint;
  let nentries: number | null = null;
  try {
    const map = ctx.object(mapType, spec.map);
    header = map.addressOf('hdr.links');
    first = map.pointer('hdr.links.next');
    const n = map.num('hdr.nentries');
    nentries = n >= 0 ? n : null;
  } catch (err) {
    if (!(err instanceof UnfoldError)) throw err;
    return {
      items: [],
      problem: { reason: 'unreadable', at: spec.map, index: 0, message: `${what}: the map header is not readable (${err.message})` },
      notes: [],
      nentries,
      header: spec.map,
    };
  }
  // bounded by the kernel's own count: a list that has not returned to the header by then is reported
  const bound = Math.min(spec.max ?? DEFAULT_MAX * 16, nentries !== null ? nentries : Infinity);
  const r = walk(
    ctx,
    what,
    entryType,
    header,
    first,
    (l) => l === header,
    (l) => l,
    (o) => ({ next: o.pointer('links.next'), back: o.pointer('links.prev') }),
    (pl) => pl ?? header,
    { ...spec, max: bound },
  );
  if (r.problem?.reason === 'bound' && nentries !== null && bound === nentries) {
    r.problem = {
      ...r.problem,
      message: `${what}: hdr.nentries is ${nentries} but the list does not return to the header ${hex(header)} after that many entries`,
    };
  } else if (r.problem === null && nentries !== null && r.items.length !== nentries) {
    r.notes.push({
      reason: 'count',
      at: header,
      index: r.items.length,
      message: `${what}: the list closes after ${r.items.length} entries, hdr.nentries says ${nentries}`,
    });
  }
  return { ...r, nentries, header };
}
