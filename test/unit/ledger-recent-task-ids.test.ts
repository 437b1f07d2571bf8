import { describe, expect, it } from 'vitest';
import { encodeId, ID_WIDTH, IdIndex, idHash } from '../../src/ledger/id-index.js';
import { PositionCodec } from '../../src/ledger/position-codec.js';
import { RecentTaskIds } from '../../src/ledger/recent-task-ids.js';
import { RecentTaskIdsModel } from '../support/recent-task-ids-model.js';

function memory(windowMs = 60_000, maxIds = 100) {
  const clock = { ms: 1_000_000 };
  const ids = new RecentTaskIds({ windowMs, maxIds, now: () => clock.ms });
  return { ids, clock };
}

describe('RecentTaskIds (idempotency memory)', () => {
  it('runs the first record of an id and refuses a second record of it as a duplicate', () => {
    const { ids } = memory();
    expect(ids.admit('a', 1, 't/0@5')).toEqual({ kind: 'run' });
    expect(ids.admit('a', 1, 't/3@9')).toEqual({ kind: 'duplicate', first: 't/0@5' });
    expect(ids.admit('b', 1, 't/3@10')).toEqual({ kind: 'run' });
  });

  it('a later attempt (a retry) runs; an older or equal one from elsewhere does not', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    expect(ids.admit('a', 2, 'r/1@0').kind).toBe('run');
    expect(ids.admit('a', 2, 'r/1@1').kind).toBe('duplicate'); // the retry record written twice
    expect(ids.admit('a', 1, 't/0@6').kind).toBe('duplicate');
  });

  it('a re-delivery of the claimed record runs until its result is known, then is finished', () => {
    const { ids, clock } = memory();
    ids.admit('a', 1, 't/0@5');
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('run');
    ids.resultSeen('a', 1, 't/0@5', clock.ms);
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('finished');
    expect(ids.admit('a', 1, 't/2@1').kind).toBe('duplicate');
  });

  it('release after an unacknowledged run lets another record of the id run', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    ids.release('a', 't/0@5');
    expect(ids.admit('a', 1, 't/1@2').kind).toBe('run');
  });

  it('a moved (delayed) task: its delay record takes over once; a copy of it and a resubmit do not', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    ids.moved('a', 't/0@5');
    ids.release('a', 't/0@5'); // a moved task is acknowledged: release does not forget it
    expect(ids.admit('a', 1, 't/1@7').kind).toBe('duplicate'); // resubmitted while it waits
    expect(ids.admit('a', 1, 'r/2@0', 't/0@5').kind).toBe('run'); // its delay record, when due
    expect(ids.admit('a', 1, 'r/2@4', 't/0@5').kind).toBe('duplicate'); // a second delay record
  });

  it('results from berth.results rebuild the memory after a restart', () => {
    const { ids, clock } = memory();
    ids.resultSeen('a', 1, 't/0@5', clock.ms - 1000);
    expect(ids.admit('a', 1, 't/4@8').kind).toBe('duplicate');
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('finished');
    ids.resultSeen('b', 1, 't/0@6', clock.ms - 120_000); // older than the window: ignored
    expect(ids.admit('b', 1, 't/0@9').kind).toBe('run');
  });

  it('forgets ids after the window and beyond the bound', () => {
    const { ids, clock } = memory(60_000, 3);
    ids.admit('a', 1, 't/0@1');
    clock.ms += 60_001;
    expect(ids.admit('a', 1, 't/0@2').kind).toBe('run');
    for (const id of ['b', 'c', 'd']) ids.admit(id, 1, `t/0@${id}`);
    expect(ids.size).toBe(3);
    expect(ids.admit('a', 1, 't/0@3').kind).toBe('run'); // 'a' was the least recently seen
    expect(ids.admit('d', 1, 't/0@4').kind).toBe('duplicate');
  });
});

describe('RecentTaskIds: bounds, positions and the plain model', () => {
  it('under the bound, forgets the least recently seen id first (claimed, moved or finished)', () => {
    const { ids, clock } = memory(60_000, 3);
    ids.admit('a', 1, 't/0@1');
    ids.admit('b', 1, 't/0@2');
    ids.admit('c', 1, 't/0@3');
    ids.resultSeen('a', 1, 't/0@1', clock.ms); // 'a' seen again: 'b' is now the oldest
    ids.admit('d', 1, 't/0@4');
    expect(ids.size).toBe(3);
    expect(ids.admit('a', 1, 't/9@1')).toEqual({ kind: 'duplicate', first: 't/0@1' });
    ids.moved('c', 't/0@3'); // order now a, d, c
    expect(ids.admit('b', 1, 't/9@2').kind).toBe('run'); // 'b' was forgotten; 'a' goes now
    expect(ids.admit('a', 1, 't/9@3').kind).toBe('run');
    expect(ids.admit('c', 1, 't/9@4')).toEqual({ kind: 'duplicate', first: 't/0@3' });
    expect(ids.size).toBe(3);
  });

  it('a duplicate does not refresh an id; a bound of one keeps only the latest id', () => {
    const { ids } = memory(60_000, 2);
    ids.admit('a', 1, 't/0@1');
    ids.admit('b', 1, 't/0@2');
    expect(ids.admit('a', 1, 't/1@1').kind).toBe('duplicate');
    ids.admit('c', 1, 't/0@3'); // 'a' is still the least recently seen
    expect(ids.admit('b', 1, 't/1@2').kind).toBe('duplicate');
    expect(ids.admit('a', 1, 't/1@3').kind).toBe('run');
    const one = memory(60_000, 1).ids;
    one.admit('a', 1, 't/0@1');
    one.admit('b', 1, 't/0@2');
    expect(one.size).toBe(1);
    expect(one.admit('a', 1, 't/1@1').kind).toBe('run');
  });

  it('an id is forgotten once it was last seen more than the window ago, not at exactly the window', () => {
    const { ids, clock } = memory(1000, 100);
    ids.admit('a', 1, 't/0@1');
    ids.admit('b', 1, 't/0@2');
    clock.ms += 600;
    ids.moved('b', 't/0@2'); // 'b' seen again
    ids.resultSeen('c', 1, 't/0@3', clock.ms - 900); // finished 900 ms ago: 100 ms left
    clock.ms += 400; // 'a' exactly 1000 ms old
    expect(ids.admit('a', 1, 't/1@1').kind).toBe('duplicate');
    clock.ms += 1;
    expect(ids.admit('a', 1, 't/1@1').kind).toBe('run');
    expect(ids.admit('c', 1, 't/1@3').kind).toBe('run');
    expect(ids.admit('b', 1, 't/1@2', 't/0@2')).toEqual({ kind: 'run' }); // moved: its delay record
    clock.ms += 1001;
    expect(ids.size).toBe(3); // nothing swept until something is added
    ids.admit('z', 1, 't/0@9');
    expect(ids.size).toBe(1);
    ids.resultSeen('y', 1, 't/0@10', clock.ms - 1001); // already older than the window
    expect(ids.size).toBe(1);
  });

  it('an id released behind a live one is not forgotten twice when time passes', () => {
    const { ids, clock } = memory(1000, 4);
    ids.admit('x', 1, 't/0@0'); // the oldest, and live until the window ends
    ids.admit('a', 1, 't/0@1');
    ids.admit('b', 1, 't/0@2');
    ids.release('a', 't/0@1');
    clock.ms += 10;
    for (let i = 0; i < 30; i++) ids.moved('b', 't/0@2'); // 'b' seen again and again
    clock.ms += 995; // 'x' is past the window now, 'b' not
    ids.moved('b', 't/0@2');
    for (const id of ['c', 'd', 'e']) ids.admit(id, 1, `t/0@${id}`);
    expect(ids.size).toBe(4);
    for (const id of ['b', 'c', 'd', 'e'])
      expect(ids.admit(id, 1, 't/1@1')).toEqual({ kind: 'duplicate', first: `t/0@${id === 'b' ? 2 : id}` });
  });

  it('positions that are not canonical topic/partition@offset text are kept and compared as text', () => {
    const { ids, clock } = memory();
    const odd = [
      'plain',
      '',
      't/01@5',
      't/1@05',
      't/-1@5',
      't/1@-5',
      't/+1@5',
      't/1@5.0',
      't/1@ 5',
      't/2147483648@5',
      't/1@9007199254740992',
      't/1@2@3',
      't@1/2',
      '@/1@2',
      't/@5',
      't/5@',
    ];
    odd.forEach((position, i) => {
      expect(ids.admit(`id${i}`, 1, position).kind).toBe('run');
      expect(ids.admit(`id${i}`, 1, `${position}`).kind).toBe('run'); // its own re-delivery
      expect(ids.admit(`id${i}`, 1, 't/1@5')).toEqual({ kind: 'duplicate', first: position });
    });
    expect(ids.admit('id2', 1, 't/1@5').kind).toBe('duplicate'); // 't/01@5' is not 't/1@5'
    ids.resultSeen('id0', 1, 'plain', clock.ms);
    expect(ids.admit('id0', 1, 'plain').kind).toBe('finished');
    ids.release('id1', ''); // an unparsed position released: its slot is used again, cleanly
    expect(ids.admit('fresh', 1, 't/3@4').kind).toBe('run');
    expect(ids.admit('fresh', 1, '')).toEqual({ kind: 'duplicate', first: 't/3@4' });
    expect(ids.admit('id1', 1, 't/3@4').kind).toBe('run');
    ids.admit('moved', 1, 'odd@place');
    ids.moved('moved', 'odd@place');
    expect(ids.admit('moved', 1, 'r/0@0', 'odd@place').kind).toBe('run');
    expect(ids.admit('moved', 1, 'r/0@1', 'odd@place')).toEqual({ kind: 'duplicate', first: 'odd@place' });
  });

  it('keeps positions of many topics and partitions apart, up to the largest partition and offset', () => {
    const { ids } = memory(60_000, 10_000);
    const topics = Array.from({ length: 20 }, (_, t) => `tasks.${t}`);
    topics.push('a/b', 'x@y', 'e');
    const position = (t: number, p: number) => `${topics[t]}/${p}@${1000 + p}`;
    for (let t = 0; t < topics.length; t++)
      for (let p = 0; p < 100; p++) expect(ids.admit(`${t}:${p}`, 1, position(t, p)).kind).toBe('run');
    for (let t = 0; t < topics.length; t++)
      for (let p = 0; p < 100; p++) {
        expect(ids.admit(`${t}:${p}`, 1, position(t, p)).kind).toBe('run');
        expect(ids.admit(`${t}:${p}`, 1, position((t + 1) % topics.length, p))).toEqual({
          kind: 'duplicate',
          first: position(t, p),
        });
      }
    const edge = 'berth.tasks/2147483647@9007199254740991';
    ids.admit('edge', 1, edge);
    expect(ids.admit('edge', 1, edge).kind).toBe('run');
    expect(ids.admit('edge', 1, 'berth.tasks/2147483647@9007199254740990')).toEqual({
      kind: 'duplicate',
      first: edge,
    });
  });

  it('past the topic table (1024 topics), positions are kept as text and still compared exactly', () => {
    const { ids } = memory(60_000, 5000);
    const wrong: string[] = [];
    for (let t = 0; t < 1100; t++) {
      const position = `topic-${t}/${t % 7}@${t}`;
      if (ids.admit(`id${t}`, 1, position).kind !== 'run') wrong.push(`${t} first`);
      if (ids.admit(`id${t}`, 1, position).kind !== 'run') wrong.push(`${t} again`);
      const other = ids.admit(`id${t}`, 1, `topic-${t}/${t % 7}@${t + 1}`);
      if (other.kind !== 'duplicate' || other.first !== position) wrong.push(`${t} duplicate`);
    }
    expect(wrong).toEqual([]);
  });

  it("a duplicate's first is exactly the origin given, across a result and a delay move", () => {
    const { ids, clock } = memory();
    ids.admit('a', 1, 'berth.retry/4@77', 'berth.tasks/12@345678901234');
    expect(ids.admit('a', 1, 'berth.tasks/0@1')).toEqual({
      kind: 'duplicate',
      first: 'berth.tasks/12@345678901234',
    });
    ids.resultSeen('a', 1, 'berth.retry/4@77', clock.ms); // the same attempt: the origin stays
    expect(ids.admit('a', 1, 'berth.tasks/0@1')).toEqual({
      kind: 'duplicate',
      first: 'berth.tasks/12@345678901234',
    });
    ids.resultSeen('a', 2, 'berth.retry/5@8', clock.ms); // a later attempt's result: its record
    expect(ids.admit('a', 2, 'berth.tasks/0@1')).toEqual({ kind: 'duplicate', first: 'berth.retry/5@8' });
    ids.admit('b', 1, 'berth.tasks/3@0');
    ids.moved('b', 'berth.tasks/3@0');
    ids.admit('b', 1, 'berth.retry/1@9', 'berth.tasks/3@0');
    expect(ids.admit('b', 1, 'berth.retry/1@10', 'berth.tasks/3@0')).toEqual({
      kind: 'duplicate',
      first: 'berth.tasks/3@0',
    });
  });

  /**
   * Drives the memory and the plain model with the same random calls (ids from `idPool`,
   * positions, attempts, origins other than the position for `otherOrigins` of the admits) and
   * expects the same answers and sizes after every call.
   */
  function matchesModel(
    runs: readonly (readonly [number, number, number])[],
    pools: {
      readonly ids: (maxIds: number) => readonly string[];
      readonly positions: readonly string[];
      readonly attempts: readonly number[];
      readonly otherOrigins: number;
    },
  ): void {
    for (const [seed, windowMs, maxIds] of runs) {
      const random = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const clock = { ms: 1_000_000 };
      const opts = { windowMs, maxIds, now: () => clock.ms };
      const real = new RecentTaskIds(opts);
      const model = new RecentTaskIdsModel(opts);
      const idPool = pools.ids(maxIds);
      for (let step = 0; step < 6_000; step++) {
        const id = pick(idPool);
        const position = pick(pools.positions);
        const roll = random();
        if (roll < 0.4) {
          const origin = random() < pools.otherOrigins ? pick(pools.positions) : position;
          const attempt = pick(pools.attempts);
          expect(real.admit(id, attempt, position, origin)).toEqual(
            model.admit(id, attempt, position, origin),
          );
        } else if (roll < 0.5) {
          real.moved(id, position);
          model.moved(id, position);
        } else if (roll < 0.6) {
          real.release(id, position);
          model.release(id, position);
        } else if (roll < 0.9) {
          const attempt = pick(pools.attempts);
          const atMs = clock.ms - Math.floor(random() * windowMs * 1.2);
          real.resultSeen(id, attempt, position, atMs);
          model.resultSeen(id, attempt, position, atMs);
        } else {
          clock.ms += Math.floor(random() * Math.max(1, windowMs / 4));
        }
        expect(real.size).toBe(model.size);
      }
    }
  }

  it('answers and sizes exactly as the plain model over long random runs', () => {
    matchesModel(
      [
        [1, 1000, 8],
        [2, 50, 30],
        [3, 10_000, 1],
        [4, 0, 5],
        [5, 400, 2000],
      ],
      {
        ids: (maxIds) => Array.from({ length: Math.max(12, Math.floor(maxIds * 1.5)) }, (_, i) => `id-${i}`),
        positions: ['t/0@1', 't/0@2', 't/1@1', 'r/0@1', 'r/3@9', 'x/0@1', 'bad', 't/01@1', 'q@w/1@2'],
        attempts: [1, 1, 1, 2, 2, 3, Number.NaN, 1.5],
        otherOrigins: 0.3,
      },
    );
  });

  it('answers and sizes exactly as the plain model with ids of mixed lengths and characters', () => {
    const ids = [
      ...Array.from({ length: 40 }, (_, i) => `${i}-5b7c9a1e-0d2f-4e6a-8b3c-${String(i).padStart(12, '0')}`),
      ...Array.from({ length: 12 }, (_, i) => 'x'.repeat(ID_WIDTH - 6 + i)), // around the width
      ...Array.from({ length: 12 }, (_, i) => `${'é'.repeat(30 + (i % 4))}${i}`), // 2-byte characters
      ...Array.from({ length: 8 }, (_, i) => `${'😀'.repeat(14 + i)}`), // surrogate pairs
      ...Array.from({ length: 8 }, (_, i) => `k\uD800${i}`), // lone surrogates
      ...Array.from({ length: 8 }, (_, i) => `k\uFFFD${i}`), // what UTF-8 would turn them into
      ...Array.from({ length: 8 }, (_, i) => `long-${i}-${'z'.repeat(200)}`),
      '',
      '\0',
      '\0\0',
    ];
    matchesModel(
      [
        [11, 1000, 8],
        [12, 400, 60],
        [13, 10_000, 3],
        [14, 10_000, 200],
      ],
      {
        ids: () => ids,
        positions: ['t/0@1', 't/0@2', 't/1@1', 'r/0@1', 'bad'],
        attempts: [1, 1, 2],
        otherOrigins: 0,
      },
    );
  });
});

describe('IdIndex (off-heap id to slot index)', () => {
  /** An index of `capacity` slots holding `ids`, `ids[i]` under slot `i`. */
  function indexOf(ids: readonly string[], capacity = ids.length): IdIndex {
    const index = new IdIndex(capacity);
    ids.forEach((id, slot) => {
      expect(index.find(id)).toBe(-1);
      index.addLast(slot);
    });
    return index;
  }

  /** Ids `${prefix}${i}` whose hashes have the same home bucket in a table of `buckets`. */
  function sameBucket(prefix: string, bucket: number, buckets: number, count: number): string[] {
    const found: string[] = [];
    for (let i = 0; found.length < count; i++)
      if (((idHash(`${prefix}${i}`) as number) & (buckets - 1)) === bucket) found.push(`${prefix}${i}`);
    return found;
  }

  it('encodes well-formed text as UTF-8, and lone surrogates without merging them', () => {
    const bytes = new Uint8Array(ID_WIDTH + 4);
    for (const text of ['', 'a', 'task-1', 'é', '€uro', '😀', 'a😀b', '\u07ff\u0800\uffff', '𐀀\u{10ffff}']) {
      const length = encodeId(text, bytes);
      expect(Buffer.from(bytes.subarray(0, length)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
    const lone = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFD', '\uDC00\uD800', 'a\uD800', '\uD800a'];
    const encodings = lone.map((text) => {
      const length = encodeId(text, bytes);
      return Buffer.from(bytes.subarray(0, length)).toString('hex');
    });
    expect(new Set(encodings).size).toBe(lone.length);
    expect(encodeId('x'.repeat(ID_WIDTH), bytes)).toBe(ID_WIDTH);
    expect(encodeId('x'.repeat(ID_WIDTH + 1), bytes)).toBe(-1);
    expect(encodeId('é'.repeat(ID_WIDTH / 2), bytes)).toBe(ID_WIDTH);
    expect(encodeId('é'.repeat(ID_WIDTH / 2 + 1), bytes)).toBe(-1);
    expect(encodeId(`${'x'.repeat(ID_WIDTH - 1)}😀`, bytes)).toBe(-1);
    expect(encodeId(`${'é'.repeat(ID_WIDTH / 2 - 1)}xx`, bytes)).toBe(ID_WIDTH);
    expect(encodeId(`${'é'.repeat(ID_WIDTH / 2 - 1)}xxx`, bytes)).toBe(-1); // ASCII past the width
  });

  it('finds ids of every length around the width, empty, non-ASCII and long, and nothing else', () => {
    const ids = [
      ...Array.from({ length: ID_WIDTH + 6 }, (_, n) => 'a'.repeat(n)), // '' up to width + 5
      ...Array.from({ length: ID_WIDTH + 6 }, (_, n) => `${'b'.repeat(n)}é`),
      'é'.repeat(ID_WIDTH / 2),
      'é'.repeat(ID_WIDTH / 2 + 1),
      '€'.repeat(21),
      '€'.repeat(22),
      '😀'.repeat(ID_WIDTH / 4),
      '😀'.repeat(ID_WIDTH / 4 + 1),
      `${'x'.repeat(ID_WIDTH - 3)}😀`,
      `${'é'.repeat(ID_WIDTH / 2 - 1)}xx`,
      `${'é'.repeat(ID_WIDTH / 2 - 1)}xxx`,
      '\uD800',
      '\uDC00',
      '\uFFFD',
      '\uD83D\uDE00x',
      '\uDE00\uD83Dx',
      '\0',
      '\0\0',
      'a\0',
      'q'.repeat(10_000),
      'q'.repeat(10_001),
      '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    ];
    expect(new Set(ids).size).toBe(ids.length);
    const index = indexOf(ids);
    expect(index.size).toBe(ids.length);
    expect(ids.map((id) => index.find(id))).toEqual(ids.map((_, slot) => slot));
    for (const other of [
      'a'.repeat(ID_WIDTH + 6),
      'éé',
      'é'.repeat(ID_WIDTH / 2 - 1),
      '\uD801',
      '\uDBFF',
      'a\0\0',
    ])
      expect(index.find(other)).toBe(-1);
    for (const other of [
      'q'.repeat(9_999),
      '😀'.repeat(ID_WIDTH / 4 - 1),
      '1B4E28BA-2FA1-11D2-883F-0016D3CCA427',
    ])
      expect(index.find(other)).toBe(-1);
    // Forget every other id (long ones too): the rest stay found, the forgotten are not.
    ids.forEach((_, slot) => {
      if (slot % 2 === 0) index.remove(slot);
    });
    expect(ids.map((id) => index.find(id))).toEqual(ids.map((_, slot) => (slot % 2 === 0 ? -1 : slot)));
    expect(index.size).toBe(Math.floor(ids.length / 2));
    // Their slots are filed with other ids, of other kinds (short where long was, and back).
    ids.forEach((id, slot) => {
      if (slot % 2 !== 0) return;
      const other = ids[ids.length - 1 - slot] as string;
      const next = `${other}/${id.length}`;
      expect(index.find(next)).toBe(-1);
      index.addLast(slot);
      expect(index.find(next)).toBe(slot);
    });
    expect(index.size).toBe(ids.length);
  });

  it('tells apart ids whose full 32-bit hashes collide, and removing one keeps the others', () => {
    const byHash = new Map<number, string>();
    const pairs: [string, string][] = [];
    for (let i = 0; pairs.length < 3; i++) {
      const id = `collide-${i}`;
      const hash = idHash(id) as number;
      const earlier = byHash.get(hash);
      if (earlier !== undefined) pairs.push([earlier, id]);
      else byHash.set(hash, id);
    }
    for (const [a, b] of pairs) expect(idHash(a)).toBe(idHash(b));
    const ids = pairs.flat();
    const index = indexOf([ids[0] as string, ids[2] as string, ids[4] as string], 8);
    for (const b of [ids[1], ids[3], ids[5]]) expect(index.find(b as string)).toBe(-1);
    for (const [slot, b] of [ids[1], ids[3], ids[5]].entries()) {
      expect(index.find(b as string)).toBe(-1);
      index.addLast(3 + slot);
    }
    expect(ids.map((id) => index.find(id))).toEqual(
      ids.map((_, i) => (i % 2 === 0 ? i / 2 : 3 + (i - 1) / 2)),
    );
    index.remove(0); // ids[0]
    index.remove(4); // ids[3]: of each of two pairs, one is left
    expect(ids.map((id) => index.find(id))).toEqual(ids.map((_, i) => [-1, 3, 1, -1, 2, 5][i]));
    expect(index.size).toBe(4);
  });

  it('removing from a run of one home bucket (also across the table end) keeps the rest findable', () => {
    // A capacity of 8 has the smallest table, 16 buckets: ids of one home bucket form one run.
    for (const bucket of [3, 15]) {
      const run = sameBucket(`run${bucket}-`, bucket, 16, 8);
      for (let gone = 0; gone < run.length; gone++) {
        const index = indexOf(run, 8);
        index.remove(gone);
        expect(run.map((id) => index.find(id))).toEqual(run.map((_, slot) => (slot === gone ? -1 : slot)));
        expect(index.find(run[gone] as string)).toBe(-1);
        index.addLast(gone);
        expect(run.map((id) => index.find(id))).toEqual(run.map((_, slot) => slot));
      }
    }
    // Two interleaved runs whose homes are next to each other, wrapping around.
    const a = sameBucket('wrapA-', 14, 16, 4);
    const b = sameBucket('wrapB-', 15, 16, 4);
    const ids = [a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]] as string[];
    const index = indexOf(ids, 8);
    for (const slot of [0, 2, 5]) index.remove(slot);
    expect(ids.map((id) => index.find(id))).toEqual(
      ids.map((_, slot) => ([0, 2, 5].includes(slot) ? -1 : slot)),
    );
  });

  it('keeps every id across growth (rebuilt tables) while ids are added and removed', () => {
    const index = new IdIndex(1);
    const held = new Map<string, number>();
    let capacity = 1;
    for (let slot = 0; slot < 5000; slot++) {
      if (slot === capacity) {
        capacity *= 2;
        index.grow(capacity);
        for (const [id, s] of held) expect(index.find(id)).toBe(s);
      }
      const id = slot % 7 === 0 ? `${'long'.repeat(20)}${slot}` : `${slot % 3 === 0 ? 'ü' : ''}id-${slot}`;
      expect(index.find(id)).toBe(-1);
      index.addLast(slot);
      held.set(id, slot);
      if (slot % 5 === 4) {
        const [first, s] = held.entries().next().value as [string, number];
        index.remove(s);
        held.delete(first);
      }
    }
    expect(index.size).toBe(held.size);
    for (const [id, s] of held) expect(index.find(id)).toBe(s);
  });

  it('answers as a Map over random adds and removes in a small, crowded table', () => {
    const random = mulberry32(7);
    const pool = [
      ...sameBucket('crowd-', 5, 16, 10),
      ...Array.from({ length: 20 }, (_, i) => `${'ö'.repeat(i * 2)}${i}`),
      'x'.repeat(ID_WIDTH),
      'x'.repeat(ID_WIDTH + 1),
      '',
    ];
    const capacity = 8;
    const index = new IdIndex(capacity);
    const map = new Map<string, number>();
    const freeSlots = Array.from({ length: capacity }, (_, i) => i);
    for (let step = 0; step < 20_000; step++) {
      const id = pool[Math.floor(random() * pool.length)] as string;
      const slot = index.find(id);
      expect(slot).toBe(map.get(id) ?? -1);
      if (slot >= 0) {
        if (random() < 0.5) {
          index.remove(slot);
          map.delete(id);
          freeSlots.push(slot);
        }
      } else if (freeSlots.length > 0) {
        const free = freeSlots.splice(Math.floor(random() * freeSlots.length), 1)[0] as number;
        index.addLast(free);
        map.set(id, free);
      }
      expect(index.size).toBe(map.size);
    }
  });

  it('files only the id of the latest find, and only once it is not held', () => {
    const index = new IdIndex(4);
    expect(() => index.addLast(0)).toThrow(/latest find/);
    expect(index.find('a')).toBe(-1);
    index.addLast(0);
    expect(() => index.addLast(1)).toThrow(/latest find/);
    expect(index.find('a')).toBe(0);
    expect(() => index.addLast(1)).toThrow(/latest find/);
    index.remove(0);
    index.addLast(1); // the found id was removed since: it may be filed again
    expect(index.find('a')).toBe(1);
    expect(index.size).toBe(1);
  });
});

describe('PositionCodec', () => {
  it('parses exactly the texts it formats back unchanged', () => {
    const codec = new PositionCodec();
    for (const text of [
      't/0@0',
      'berth.tasks/17@123456789',
      'a/b/3@4',
      'x@y/1@2',
      '/0@0',
      't/2147483647@9007199254740991',
    ]) {
      expect(codec.parse(text, true)).toBe(true);
      expect(codec.format(codec.topic, codec.partition, codec.offset)).toBe(text);
    }
    for (const text of [
      't/01@1',
      't/1@01',
      't/2147483648@1',
      't/1@9007199254740992',
      't/1@99999999999999999',
      't/1@',
      't/@1',
      't1@1',
      '@1',
      't/1@1x',
      't/1@1e3',
    ])
      expect(codec.parse(text, true)).toBe(false);
  });

  it('does not number a topic it only compares', () => {
    const codec = new PositionCodec();
    expect(codec.parse('seen/1@1', false)).toBe(false);
    expect(codec.parse('kept/1@1', true)).toBe(true);
    expect(codec.parse('kept/2@5', false)).toBe(true);
    expect([codec.topic, codec.partition, codec.offset]).toEqual([0, 2, 5]);
    expect(codec.parse('seen/1@1', true)).toBe(true);
    expect(codec.topic).toBe(1);
  });
});

/** A small seeded generator, so a failing run can be repeated. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
