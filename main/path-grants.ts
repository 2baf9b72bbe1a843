// The paths this session's user chose, and the rule for writing over something that exists.
//
// Where a path comes from decides what the API may do with it. A path picked in a native dialog, given on
// the command line, typed into the Open form, or written by an export or hit list of this session is the
// person's choice (a dialog's answer comes from the main process and cannot be forged by the page). The
// API only reads the files the Open form (or a dialog, or the command line) names, never anything else.
// Replacing something that already exists is the dangerous case: an export or hit list with "replace"
// ticked may overwrite only a folder or file picked in a dialog of this session or written by this session
// itself. Anything else that exists is refused, whatever the call says; a new name is always fine (nothing
// is lost), and core still refuses an existing target unless replacing was asked for.
//
// Paths are compared by their real location (symlinks and ".." resolved), so a second name for a granted
// folder is the same grant and a link to an ungranted one is not.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors';

export type GrantSource = 'dialog' | 'command-line' | 'open-form' | 'written';
export type Access = 'read' | 'write';

interface Grant {
  access: Set<Access>;
  sources: Set<GrantSource>;
}

/** the real location of p (of its folder when p itself does not exist yet) */
export async function canonical(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(await canonical(parent), path.basename(abs));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== 'ENOENT';
  }
}

export class PathGrants {
  private grants = new Map<string, Grant>();

  async grant(p: string, access: Access, source: GrantSource): Promise<void> {
    const key = await canonical(p);
    const g = this.grants.get(key) ?? { access: new Set<Access>(), sources: new Set<GrantSource>() };
    g.access.add(access);
    g.sources.add(source);
    this.grants.set(key, g);
  }

  /** how p was granted for `access`, or null */
  async granted(p: string, access: Access): Promise<GrantSource[] | null> {
    const g = this.grants.get(await canonical(p));
    return g && g.access.has(access) ? [...g.sources] : null;
  }

  /** every granted path, for diagnostics and tests */
  list(): { path: string; access: Access[]; sources: GrantSource[] }[] {
    return [...this.grants].map(([p, g]) => ({ path: p, access: [...g.access], sources: [...g.sources] }));
  }

  /**
   * May `method` write to `target` (its argument `name`)? Replacing an existing target needs a write
   * grant; throws NOT_GRANTED otherwise, naming the path and never anything read from it.
   */
  async checkWrite(method: string, name: string, target: string, replace: boolean, dialogs: boolean): Promise<void> {
    if (!replace || !(await exists(target))) return;
    if (await this.granted(target, 'write')) return;
    const how = dialogs ? 'pick it with the Choose… button first, or choose a new name' : 'choose a new name, or remove the old one yourself';
    throw new AppError(
      'NOT_GRANTED',
      `${method}: ${name}: ${target} already exists and was not chosen or written in this session, so Unfold will not replace it; ${how}`,
      { path: target },
    );
  }
}
