import { readFileSync } from 'node:fs';

export interface ProcessSample {
  /** VmHWM: the kernel's high-water mark of resident memory over the process's life. */
  peakRssMb: number;
  rssMb: number;
  /** utime + stime (user and system CPU) so far. */
  cpuSeconds: number;
}

/** USER_HZ: 100 on every Linux this runs on (the unit of utime/stime in /proc/<pid>/stat). */
const CLOCK_TICKS_PER_SECOND = 100;

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] ? Number(match[1]) : 0;
}

/** One reading of a process from /proc, or undefined once it is gone. Linux only. */
export function processSample(pid: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based) of the whole line.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return {
      peakRssMb: statusKb(status, 'VmHWM') / 1024,
      rssMb: statusKb(status, 'VmRSS') / 1024,
      cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}
