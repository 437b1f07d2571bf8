import type { CodePackage } from '../domain/code-package.js';

/** A raw record of the code topic, as the catalog follows it. */
export interface CodeRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly partition: number;
}

/**
 * The code topic as the worker-side catalog follows it. Contract: `start` delivers every record
 * from the beginning, then new ones as they arrive, one at a time; `waitUntilCaughtUp` resolves
 * once everything on the topic at call time has been delivered (rejects on timeout or failure).
 */
export interface CodeFeedPort {
  start(onRecord: (record: CodeRecord) => Promise<void>): Promise<void>;
  waitUntilCaughtUp(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The code topic as producer-side tools (push, list, show) use it. */
export interface CodeTopicPort {
  /** Every decodable package revision on the topic now; undecodable records are skipped. */
  readAll(): Promise<CodePackage[]>;
  /** The topic's effective `max.message.bytes`. */
  maxMessageBytes(): Promise<number>;
  /** Publishes one revision (key `name@revision`), acknowledged by all in-sync replicas. */
  publish(pkg: CodePackage): Promise<void>;
  close(): Promise<void>;
}

/** Record key of a package revision on the code topic. */
export function codeRecordKey(name: string, revision: number): string {
  return `${name}@${revision}`;
}

/** Newest revision of each package, by name. */
export function newestByName(packages: readonly CodePackage[]): Map<string, CodePackage> {
  const newest = new Map<string, CodePackage>();
  for (const p of packages) {
    const cur = newest.get(p.name);
    if (!cur || p.revision >= cur.revision) newest.set(p.name, p);
  }
  return newest;
}
