import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleHttp } from '../../src/console/console-http.js';
import { ResultStore } from '../../src/console/result-store.js';
import { openStore, type StoreConnection } from '../../src/console/store-connection.js';
import { StoreFeed } from '../../src/console/store-feed.js';
import { migrateStore } from '../../src/console/store-migrations.js';
import { TaskActions } from '../../src/console/task-actions.js';
import type { OutgoingRecord } from '../../src/kafka/client-producer.js';
import { topicNames } from '../../src/kafka/topic-names.js';

/** The HTTP layer over an in-memory store and a recording sender (no Kafka). */
const TOKEN = 'a-token-of-sixteen+';
const sent: { topic: string; records: readonly OutgoingRecord[] }[] = [];
let conn: StoreConnection;
let http: ConsoleHttp;
let base: string;

beforeAll(async () => {
  conn = openStore({ kind: 'sqlite', path: ':memory:' });
  await migrateStore(conn.db as never, conn.dialect);
  const store = new ResultStore(conn.db);
  const topics = topicNames('u');
  http = new ConsoleHttp({
    store,
    feed: new StoreFeed(store, topics),
    actions: new TaskActions(
      store,
      { send: async (topic, records) => void sent.push({ topic, records }) },
      topics,
    ),
    token: TOKEN,
    describe: () => ({}),
  });
  base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}/`;
});
afterAll(async () => {
  await http.close();
  await conn.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('console HTTP', () => {
  it('refuses requests without the token, also for the page', async () => {
    expect((await fetch(`${base}api/tasks`)).status).toBe(401);
    expect((await fetch(base)).status).toBe(401);
    expect(
      (await fetch(`${base}api/tasks`, { headers: { authorization: 'Bearer wrong-token-xxxxxx' } })).status,
    ).toBe(401);
    expect((await fetch(`${base}api/tasks`, { headers: auth })).status).toBe(200);
  });

  it('sets a cookie from ?token= so the page can call the API', async () => {
    const page = await fetch(`${base}?token=${encodeURIComponent(TOKEN)}`);
    expect(page.status).toBe(200);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^berth_console_token=/);
    expect((await fetch(`${base}api/summary`, { headers: { cookie } })).status).toBe(200);
  });

  it('answers bad filters with 400 and a reason, unknown tasks with 404', async () => {
    const bad = await fetch(`${base}api/tasks?status=DONE`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/status: 'DONE'/);
    expect((await fetch(`${base}api/tasks?cursor=zzz`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${base}api/tasks/nope`, { headers: auth })).status).toBe(404);
  });

  it('publishes a cancel on the control topic, and only for JSON posts', async () => {
    const form = await fetch(`${base}api/tasks/t1/cancel`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=x',
    });
    expect(form.status).toBe(415);
    expect(sent).toHaveLength(0);
    const ok = await fetch(`${base}api/tasks/t1/cancel`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'stop' }),
    });
    expect(ok.status).toBe(202);
    expect(sent.map((s) => [s.topic, s.records[0]?.key])).toEqual([['u.control', 't1']]);
    const resubmit = await fetch(`${base}api/tasks/unknown/resubmit`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(resubmit.status).toBe(404);
  });
});
