import { describe, expect, it } from 'vitest';
import { RemovalTracker } from '../../src/containers/removal-tracker.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { FakeEngine } from './containers-fake-engine.js';

describe('RemovalTracker', () => {
  it('retries failed removals after the engine is back, and drain waits for all', async () => {
    const engine = new FakeEngine();
    const a = await engine.create({ Image: 'x' });
    const b = await engine.create({ Image: 'x' });
    const errors: string[] = [];
    const tracker = new RemovalTracker(engine, (_, id) => errors.push(id));
    const realRemove = engine.remove.bind(engine);
    engine.remove = async () => {
      throw new InfraError('engine down', { retriable: false, component: 'docker' });
    };
    tracker.remove(a);
    while (tracker.pending > 0) await new Promise((r) => setTimeout(r, 5));
    expect(errors).toEqual([a]);
    expect(tracker.leftoverIds).toEqual([a]);
    engine.remove = realRemove;
    tracker.remove(b);
    while (tracker.pending > 0) await new Promise((r) => setTimeout(r, 5));
    expect(engine.containers.get(a)?.removed).toBe(true);
    await tracker.drain();
    expect(engine.containers.get(b)?.removed).toBe(true);
    expect(tracker.leftoverIds).toEqual([]);
  });
});
