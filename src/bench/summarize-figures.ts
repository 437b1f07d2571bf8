import type { BacklogRssFigures } from './backlog-rss.js';
import type { BareKafkaLoopFigures } from './bare-kafka-loop.js';
import { fmt } from './bench-stats.js';
import { BenchSummary, ratioText, targetText } from './bench-summary.js';
import type { FnPeerFigures } from './fn-peer.js';
import { type PhaseFigures, SPAN_STRETCHES } from './overhead-recorder.js';
import type { PackageThroughputFigures } from './package-throughput.js';
import type { WorkerOfferedLatencyFigures } from './worker-offered-latency.js';

/** Handover, engine ceiling, hot vs fresh executor, in-process fresh worker, naive loop. */
export interface CoreFigures {
  readonly warmP50: number;
  readonly coldP50: number;
  readonly ceiling: number;
  /** Tasks per executor-level run (fresh and hot isolation). */
  readonly executorTasks: number;
  readonly freshExecutor: number;
  readonly hotExecutor: number;
  readonly consumedToStartP50: number;
  readonly producedToStartP50: number;
  readonly workerTasks: number;
  readonly worker: number;
  readonly workerOk: number;
  readonly naiveTasks: number;
  readonly naive: number;
}

/** os.loadavg(): 1, 5 and 15 minutes. */
export type LoadAverage = readonly [number, number, number];

/** Everything one run measured; a section that did not run leaves its field null. */
export interface Figures {
  core: CoreFigures | null;
  bare: BareKafkaLoopFigures | null;
  fn: FnPeerFigures | null;
  functionNode: PackageThroughputFigures | null;
  functionPython: PackageThroughputFigures | null;
  hotProcess: PackageThroughputFigures | null;
  backlog: BacklogRssFigures | null;
  offered: WorkerOfferedLatencyFigures | null;
  loadStart: LoadAverage | null;
  loadEnd: LoadAverage | null;
}

export function emptyFigures(): Figures {
  return {
    core: null,
    bare: null,
    fn: null,
    functionNode: null,
    functionPython: null,
    hotProcess: null,
    backlog: null,
    offered: null,
    loadStart: null,
    loadEnd: null,
  };
}

/** Targets the function-mode rows are held to. */
export const TARGETS = Object.freeze({
  functionNodeOverBareLoop: 0.15,
  pythonOverNode: 0.5,
  overheadP50Ms: 2,
});

/** "plan 0.41 · wait_slot 0.00 · …" (p50 ms per stretch of the task span, in order). */
export function phasesText(p: PhaseFigures, which: 'p50Ms' | 'p99Ms' = 'p50Ms'): string {
  const parts = SPAN_STRETCHES.flatMap((s) => {
    const f = p[s];
    return f === undefined ? [] : [`${s} ${fmt(f[which], 2)}`];
  });
  return parts.length === 0 ? 'n/a' : parts.join(' · ');
}

function loadText(l: LoadAverage): string {
  return l.map((x) => fmt(x, 2)).join(' / ');
}

/** "20000/20000 correct" or what went wrong, for a package run. */
function checkedText(p: PackageThroughputFigures): string {
  const t = p.tally;
  const dup = t.duplicates > 0 ? `, ${t.duplicates} duplicates` : '';
  return `${t.correct}/${t.expected} correct${dup}${p.verdict === null ? '' : ' — CHECK FAILED'}`;
}

function packageRow(s: BenchSummary, measure: string, p: PackageThroughputFigures, ratio: string): void {
  const shape = p.timedMode === 'backlog' ? 'backlog drained' : 'produced while running';
  s.add(
    `${measure}, ${p.tasks} tasks (${shape}, after ${p.warmup} warm-up)`,
    `${fmt(p.tasksPerSecond, 0)} tasks/s (${checkedText(p)})`,
    ratio,
  );
  if (p.verdict !== null) s.note(`${measure}: ${p.verdict}`);
}

function overheadRows(s: BenchSummary, lang: string, p: PackageThroughputFigures): void {
  const o = p.overhead;
  s.add(
    `${lang} overhead under the backlog, p50/p99`,
    `${fmt(o.p50Ms, 2)}/${fmt(o.p99Ms, 2)} ms (${o.count} tasks)`,
    `${p.worker.slots}+${p.worker.prefetch} held: includes waiting for a call place`,
  );
  const paced = p.paced;
  if (!paced) return;
  const rate = paced.latency.offeredPerSecond;
  const where = p.workerMode === 'process' ? 'worker process, /metrics histogram' : 'in-process worker';
  const settling = paced.settling;
  if (settling !== null)
    s.add(
      `${lang} overhead at ${rate}/s, first ${settling.seconds} s after the drain, p50/p99`,
      `${fmt(settling.overhead.p50Ms, 2)}/${fmt(settling.overhead.p99Ms, 2)} ms (${settling.overhead.count} tasks)`,
      'right after the backlog drained',
    );
  s.add(
    `${lang} overhead at ${rate}/s${settling === null ? '' : ', steady'}, p50/p99 (${where})`,
    `${fmt(paced.overhead.p50Ms, 2)}/${fmt(paced.overhead.p99Ms, 2)} ms (${paced.overhead.count} tasks)`,
    `p50 ${targetText(paced.overhead.p50Ms, '<=', TARGETS.overheadP50Ms, 'ms')}`,
  );
  s.add(
    `${lang} produced → result at ${rate}/s, p50/p99 (${p.workerMode})`,
    `${fmt(paced.latency.p50Ms, 1)}/${fmt(paced.latency.p99Ms, 1)} ms (${paced.tally.correct}/${paced.tally.expected} correct)`,
  );
  if (p.workerMode === 'in-process') {
    s.note(`${lang} at ${rate}/s, span stretches p50 ms: ${phasesText(paced.phases)}`);
    s.note(`${lang} at ${rate}/s, span stretches p99 ms: ${phasesText(paced.phases, 'p99Ms')}`);
  }
  if (paced.verdict !== null) s.note(`${lang} at ${rate}/s: ${paced.verdict}`);
}

/** One table for the whole run: every figure measured, with its ratios against the others. */
export function summarizeFigures(f: Figures): BenchSummary {
  const s = new BenchSummary();
  const c = f.core;
  const bare = f.bare?.recordsPerSecond ?? null;
  const fn = f.fn?.kind === 'measured' ? f.fn : null;
  const node = f.functionNode;
  const python = f.functionPython;
  if (f.loadStart) s.add('load average 1/5/15 min at start', loadText(f.loadStart));
  if (f.bare)
    s.add(
      `bare KafkaJS loop, ${f.bare.records} × ${f.bare.recordBytes} B`,
      `${fmt(f.bare.recordsPerSecond, 0)} records/s`,
    );
  if (fn) {
    for (const k of [fn.c1, fn.c4]) {
      s.add(
        `Fn hot, concurrency ${k.concurrency}, ${k.calls} calls`,
        `${fmt(k.callsPerSecond, 0)} calls/s, p50/p99 ${fmt(k.p50Ms, 2)}/${fmt(k.p99Ms, 2)} ms`,
        ratioText(k.callsPerSecond, bare, 'bare KafkaJS loop'),
      );
    }
    if (fn.coldP50Ms !== null)
      s.add(
        'Fn cold call, p50',
        `${fmt(fn.coldP50Ms)} ms`,
        ratioText(fn.coldP50Ms, fn.dockerRunP50Ms, 'docker run --rm true (peer run)'),
      );
    for (const note of fn.notes) s.note(`Fn peer: ${note}`);
  } else if (f.fn?.kind === 'skipped') s.note(`Fn peer skipped: ${f.fn.why}`);
  if (node) {
    packageRow(
      s,
      'Berth function mode, Node',
      node,
      ratioText(node.tasksPerSecond, fn?.c4.callsPerSecond ?? null, 'Fn hot c4', 3),
    );
    const overBare = bare === null ? null : node.tasksPerSecond / bare;
    s.add(
      'Berth function Node ÷ bare KafkaJS loop',
      overBare === null ? 'n/a' : fmt(overBare, 3),
      targetText(overBare, '>=', TARGETS.functionNodeOverBareLoop),
    );
  }
  if (python) {
    const overNode = node === null ? null : python.tasksPerSecond / node.tasksPerSecond;
    packageRow(
      s,
      'Berth function mode, Python',
      python,
      overNode === null
        ? 'n/a'
        : `${fmt(overNode, 2)}x Node, ${targetText(overNode, '>=', TARGETS.pythonOverNode)}`,
    );
  }
  if (node) overheadRows(s, 'function Node', node);
  if (python) overheadRows(s, 'function Python', python);
  if (f.hotProcess) {
    const h = f.hotProcess;
    packageRow(
      s,
      `Berth HOT process mode (${h.pkg.description})`,
      h,
      ratioText(h.tasksPerSecond, c?.worker ?? null, 'berth worker fresh'),
    );
  }
  if (c) {
    s.add(
      `berth worker, fresh isolation, ${c.workerTasks} tasks`,
      `${fmt(c.worker, 2)} tasks/s (${c.workerOk} ok)`,
      ratioText(c.worker, c.naive, 'naive loop'),
    );
    s.add('berth worker fresh ÷ engine ceiling', ratioText(c.worker, c.ceiling, '', 2).trim(), 'goal ≈ 1');
    s.add('berth worker fresh ÷ bare KafkaJS loop', ratioText(c.worker, bare, '', 5).trim());
    s.add(
      'handover → process started, warm, p50',
      `${fmt(c.warmP50)} ms`,
      ratioText(c.warmP50, c.coldP50, 'docker run p50', 3),
    );
    s.add('docker run --rm → process started, p50', `${fmt(c.coldP50)} ms`);
    s.add('engine ceiling create+start+remove', `${fmt(c.ceiling, 2)} containers/s`);
    s.add(
      `executor hot isolation, ${c.executorTasks} tasks`,
      `${fmt(c.hotExecutor, 2)} tasks/s`,
      ratioText(c.hotExecutor, c.freshExecutor, 'executor fresh'),
    );
    s.add('worker produced → process started, p50', `${fmt(c.producedToStartP50)} ms`);
    s.add(`naive consume → docker run → produce, ${c.naiveTasks} tasks`, `${fmt(c.naive, 2)} tasks/s`);
  }
  if (f.offered) {
    const o = f.offered;
    if (o.settling !== null) {
      const w = o.settling;
      s.add(
        `fresh worker's first ${w.seconds} s at ${o.offeredPerSecond}/s: produced → result p50/p99`,
        `${fmt(w.latency.p50Ms)}/${fmt(w.latency.p99Ms)} ms (${w.latency.answered}/${w.latency.produced})`,
        w.overhead === null
          ? 'right after the warm-up task'
          : `overhead p50/p99 ${fmt(w.overhead.p50Ms, 2)}/${fmt(w.overhead.p99Ms, 2)} ms, right after the warm-up task`,
      );
    }
    s.add(
      `produced → result acked, ${o.kind}${o.codeName ? ` ${o.codeName}` : ''} at ${o.offeredPerSecond}/s${o.settling === null ? '' : ', after those'}, p50/p99`,
      `${fmt(o.p50Ms)}/${fmt(o.p99Ms)} ms (${o.answered}/${o.produced})`,
      ratioText(o.p50Ms, fn?.c1.p50Ms ?? null, 'Fn hot c1 p50'),
    );
    if (o.overhead)
      s.add(
        `  overhead at ${o.offeredPerSecond}/s p50/p99 (worker /metrics histogram)`,
        `${fmt(o.overhead.p50Ms, 2)}/${fmt(o.overhead.p99Ms, 2)} ms (${o.overhead.count} tasks)`,
        `p50 ${targetText(o.overhead.p50Ms, '<=', TARGETS.overheadP50Ms, 'ms')}`,
      );
  }
  if (f.backlog) {
    const b = f.backlog;
    s.add(
      `backlog ${b.backlog} ${b.kind} tasks, drain`,
      `${fmt(b.tasksPerSecond, 1)} tasks/s in ${fmt(b.drainSeconds)} s${b.complete ? '' : ` (timed out at ${b.results})`}; ${b.statuses[b.expectedStatus] ?? 0}/${b.backlog} ${b.expectedStatus}`,
      ratioText(b.tasksPerSecond, bare, 'bare KafkaJS loop', 4),
    );
    if (b.rss)
      s.add(
        'backlog: worker RSS start/max/end',
        `${fmt(b.rss.startMiB)}/${fmt(b.rss.maxMiB)}/${fmt(b.rss.endMiB)} MiB`,
        `growth ${fmt(b.rss.growthMiB)} MiB; after the first tenth ${fmt(b.rss.growthAfterWarmupMiB)} MiB (target ≤ 20)`,
      );
  }
  if (f.loadEnd) s.add('load average 1/5/15 min at end', loadText(f.loadEnd));
  return s;
}
