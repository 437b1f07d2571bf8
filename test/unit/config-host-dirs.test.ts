import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEBOOTSTRAP_CACHE_DIR, loadHostDirs } from '../../src/config/host-dirs.js';
import { loadInfraConfig } from '../../src/config/infra-config.js';

describe('host dirs', () => {
  it('defaults: ~/.berth, ~/.cache/berth, the system debootstrap cache', () => {
    const d = loadHostDirs({});
    expect(d.stateDir).toBe(join(homedir(), '.berth'));
    expect(d.cacheDir).toBe(join(homedir(), '.cache', 'berth'));
    expect(d.mavenRepoDir).toBe(join(homedir(), '.cache', 'berth', 'maven'));
    expect(d.debootstrapCacheDir).toBe(DEFAULT_DEBOOTSTRAP_CACHE_DIR);
    expect(d.goBuildCacheDir).toBe(join(homedir(), '.cache', 'berth', 'go-build'));
    expect(d.goPath).toBe(join(homedir(), '.cache', 'berth', 'go'));
    expect(Object.isFrozen(d)).toBe(true);
  });

  it('every cache follows BERTH_CACHE_DIR; relative paths become absolute; empty means unset', () => {
    const d = loadHostDirs({ BERTH_CACHE_DIR: 'rel/cache', BERTH_STATE_DIR: '' });
    const cache = join(process.cwd(), 'rel', 'cache');
    expect(d.cacheDir).toBe(cache);
    expect(d.stateDir).toBe(join(homedir(), '.berth'));
    expect([d.mavenRepoDir, d.debootstrapCacheDir, d.goBuildCacheDir, d.goPath]).toEqual([
      join(cache, 'maven'),
      join(cache, 'debootstrap'),
      join(cache, 'go-build'),
      join(cache, 'go'),
    ]);
  });

  it("the caller's GOCACHE and GOPATH win", () => {
    const d = loadHostDirs({ BERTH_CACHE_DIR: '/c', GOCACHE: '/g/cache', GOPATH: '/g/a:/g/b' });
    expect(d.goBuildCacheDir).toBe('/g/cache');
    expect(d.goPath).toBe('/g/a:/g/b');
  });

  it('infra config takes its dirs from the same place', () => {
    const c = loadInfraConfig({ BERTH_STATE_DIR: '/s', BERTH_CACHE_DIR: '/c' });
    expect([c.stateDir, c.cacheDir, c.mavenRepoDir]).toEqual(['/s', '/c', '/c/maven']);
  });
});
