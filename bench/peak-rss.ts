// Peak resident memory of this process, in MB. getrusage's maxRSS is NOT this process's own peak when
// it was spawned by a bigger one: Linux carries ru_maxrss across fork and exec, so a child of a bench
// that held 1.4 GB reported 1.4 GB whatever it used itself. The kernel's high-water mark of this
// address space (VmHWM in /proc/self/status) starts afresh at exec; use it where it exists.
import { readFileSync } from 'node:fs';

export function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // no procfs (macOS, Windows): fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}
