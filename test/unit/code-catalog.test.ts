import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CodeCatalog } from '../../src/code/code-catalog.js';
import type { CodeFeedPort, CodeRecord } from '../../src/code/code-ports.js';
import { sha256Digest } from '../../src/code/content-digest.js';
import { TarballCache } from '../../src/code/tarball-cache.js';
import { codePackageCodec } from '../../src/codecs/code-package-codec.js';
import type { CodePackage } from '../../src/domain/code-package.js';

/** A feed whose topic is an array; records become visible to the catalog only on catch-up. */
class FakeFeed implements CodeFeedPort {
  readonly topic: CodeRecord[] = [];
  private delivered = 0;
  private onRecord: ((r: CodeRecord) => Promise<void>) | null = null;
  catchUps = 0;
  async start(onRecord: (r: CodeRecord) => Promise<void>) {
    this.onRecord = onRecord;
  }
  async waitUntilCaughtUp() {
    this.catchUps++;
    while (this.delivered < this.topic.length) {
      const r = this.topic[this.delivered++];
      if (r && this.onRecord) await this.onRecord(r);
    }
  }
  async close() {}
  push(value: Buffer) {
    this.topic.push({ key: null, value, offset: String(this.topic.length), partition: 0 });
  }
}

function pkg(name: string, revision: number, content: string): CodePackage {
  const tarball = Buffer.from(content);
  return {
    name,
    revision,
    digest: sha256Digest(tarball),
    manifest: {
      name,
      stack: 'python-3.11',
      command: ['python3', 'main.py'],
      timeoutMs: 1000,
      memoryBytes: 1 << 26,
      env: {},
      network: false,
      maxAttempts: 1,
      retryDelayMs: 0,
      maxConcurrency: 0,
      isolation: 'FRESH',
      handler: null,
      secrets: [],
    },
    tarball,
    createdAtMs: revision,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function started(feed: FakeFeed) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'berth-cache-'));
  dirs.push(cacheDir);
  const catalog = new CodeCatalog({ feed, cacheDir });
  await catalog.start();
  return { catalog, cacheDir };
}

describe('CodeCatalog', () => {
  it('resolves newest and pinned revisions with verified tarballs', async () => {
    const feed = new FakeFeed();
    feed.push(codePackageCodec.encode(pkg('thumbs', 1, 'one')));
    feed.push(codePackageCodec.encode(pkg('thumbs', 2, 'two')));
    const { catalog } = await started(feed);
    expect(Buffer.from((await catalog.resolve('thumbs', null))?.tarball ?? []).toString()).toBe('two');
    expect((await catalog.resolve('thumbs', 1))?.revision).toBe(1);
    expect(await catalog.resolve('thumbs', 3)).toBeNull();
    expect(await catalog.resolveOrReason('thumbs', 3)).toEqual({
      ok: false,
      reason: "code package 'thumbs' has no revision 3 (newest is 2)",
    });
    expect(await catalog.resolveOrReason('nope', null)).toEqual({
      ok: false,
      reason: "unknown code package 'nope'",
    });
  });

  it('a push made after start is seen by the next resolve (catch-up before answering)', async () => {
    const feed = new FakeFeed();
    feed.push(codePackageCodec.encode(pkg('v', 1, 'a')));
    const { catalog } = await started(feed);
    feed.push(codePackageCodec.encode(pkg('v', 2, 'b')));
    expect((await catalog.resolve('v', null))?.revision).toBe(2);
    const before = feed.catchUps;
    await catalog.resolve('v', 1);
    expect(feed.catchUps).toBe(before); // a known pinned revision needs no round-trip
  });

  it('a task created before the last completed catch-up (within the visibility window) needs no new one; a newer task does', async () => {
    const feed = new FakeFeed();
    feed.push(codePackageCodec.encode(pkg('v', 1, 'a')));
    const { catalog } = await started(feed); // start catches up once
    const old = Date.now() - 60_000;
    const before = feed.catchUps;
    expect((await catalog.resolveOrReason('v', null, old)).ok).toBe(true);
    expect(feed.catchUps).toBe(before);
    feed.push(codePackageCodec.encode(pkg('v', 2, 'b')));
    const r = await catalog.resolveOrReason('v', null, Date.now() + 5000);
    expect(feed.catchUps).toBe(before + 1);
    expect(r.ok && r.pkg.revision).toBe(2);
    // An unknown package is always looked for on the topic, whatever the task's age.
    await catalog.resolveOrReason('pushed-just-now', null, old);
    expect(feed.catchUps).toBe(before + 2);
  });

  it('never returns a tarball that does not match its digest', async () => {
    const feed = new FakeFeed();
    const good = pkg('p', 1, 'good');
    feed.push(codePackageCodec.encode({ ...good, revision: 2, tarball: Buffer.from('evil') }));
    feed.push(codePackageCodec.encode(good));
    feed.push(Buffer.from('not avro'));
    const { catalog, cacheDir } = await started(feed);
    const bad = await catalog.resolveOrReason('p', null);
    expect(bad).toEqual({
      ok: false,
      reason: expect.stringMatching(/^code package p@2 is corrupt: tarball does not match/),
    });
    expect(catalog.undecodableRecords).toBe(1);
    expect((await catalog.resolve('p', 1))?.tarball.toString()).toBe('good');
    // Tamper with the cached file: a cache without the in-memory copy must notice, not return it.
    const file = readdirSync(cacheDir).find((f) => f.endsWith('.tar')) ?? 'missing';
    writeFileSync(join(cacheDir, file), 'tampered');
    const cold = new TarballCache(cacheDir);
    expect(await cold.get(good.digest)).toBeNull();
    expect(readdirSync(cacheDir)).not.toContain(file);
  });
});
