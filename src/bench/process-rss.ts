import { readFile } from 'node:fs/promises';

const MIB = 1024 * 1024;

/** Resident set size in bytes from the text of /proc/<pid>/status (its `VmRSS:` line); null when absent. */
export function parseVmRssBytes(status: string): number | null {
  const m = status.match(/^VmRSS:\s+(\d+)\s*kB/m);
  return m?.[1] === undefined ? null : Number(m[1]) * 1024;
}

/** VmRSS of a live process in bytes; null once it is gone (or on a system without /proc). */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    return parseVmRssBytes(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

export interface RssSample {
  /** Epoch milliseconds. */
  readonly atMs: number;
  readonly bytes: number;
}

export interface RssSummary {
  readonly startMiB: number;
  readonly maxMiB: number;
  readonly endMiB: number;
  /** end − start. */
  readonly growthMiB: number;
  /**
   * end − RSS once a tenth of the window had passed: growth with the backlog, without the
   * heap's warm-up (V8 sizing its young and old generations in the first seconds).
   */
  readonly growthAfterWarmupMiB: number;
  readonly samples: number;
}

/** RSS at the first and last sample in [fromMs, toMs], the maximum there and end − start; null when none. */
export function summarizeRss(samples: readonly RssSample[], fromMs: number, toMs: number): RssSummary | null {
  const within = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const first = within[0];
  const last = within.at(-1);
  if (first === undefined || last === undefined) return null;
  const max = within.reduce((m, s) => Math.max(m, s.bytes), 0);
  const warm = within.find((s) => s.atMs >= fromMs + (toMs - fromMs) / 10) ?? first;
  return {
    startMiB: first.bytes / MIB,
    maxMiB: max / MIB,
    endMiB: last.bytes / MIB,
    growthMiB: (last.bytes - first.bytes) / MIB,
    growthAfterWarmupMiB: (last.bytes - warm.bytes) / MIB,
    samples: within.length,
  };
}

/** Samples a process's VmRSS every `intervalMs` (default 1 s) until stopped or the process is gone. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    const tick = async () => {
      await this.sampleNow();
      if (this.timer !== null) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Takes one sample now (e.g. at the end of a phase), besides the periodic ones. */
  async sampleNow(): Promise<void> {
    const bytes = await readRssBytes(this.pid);
    if (bytes !== null) this.samples.push({ atMs: Date.now(), bytes });
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
