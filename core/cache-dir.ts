// The user's cache folder for Unfold (derived data only: the demo case, the ISF banner index). It
// follows the platform's convention so that two users of one machine never share or clobber it.
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

export function userCacheDir(): string {
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'unfold');
  if (platform() === 'darwin') return join(homedir(), 'Library', 'Caches', 'unfold');
  if (platform() === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'unfold', 'cache');
  return join(homedir(), '.cache', 'unfold');
}
