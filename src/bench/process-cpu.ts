import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process used so far, from the text of /proc/<pid>/stat; null
 * when the text is not such a line. The command name may hold spaces and parentheses, so fields
 * are counted after its last `)`.
 */
export function parseCpuSeconds(stat: string): number | null {
  const end = stat.lastIndexOf(')');
  if (end === -1) return null;
  const fields = stat.slice(end + 2).split(' ');
  // After the name: state is field 3 of the line; utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / TICKS_PER_SECOND;
}

/** CPU seconds of a live process; null once it is gone (or on a system without /proc). */
export async function readCpuSeconds(pid: number): Promise<number | null> {
  try {
    return parseCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
