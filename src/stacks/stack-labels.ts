/** Image label keys and image names shared by everything that builds, lists or resolves stacks. */
export const LABEL = Object.freeze({
  role: 'berth.role',
  stackName: 'berth.stack.name',
  stackLanguage: 'berth.stack.language',
  stackVersion: 'berth.stack.version',
  stackHash: 'berth.stack.hash',
  stackBase: 'berth.stack.base',
  /** The pinned base tag (`berth/base-<suite>:<hash>`) a stack was built on. */
  stackBaseRef: 'berth.stack.base-ref',
  /** The function runtime (a `stacks/runtimes/` directory name) installed at /opt/berth/runtime; absent when none. */
  stackRuntime: 'berth.stack.runtime',
  baseName: 'berth.base.name',
  baseHash: 'berth.base.hash',
  test: 'berth.test',
});

/** The moving tag every stack and base image carries for its newest build. */
export const CURRENT_TAG = 'current';

/** `berth/stack-<name>:<tag>` */
export function stackImageRef(name: string, tag: string = CURRENT_TAG): string {
  return `berth/stack-${name}:${tag}`;
}

/** `berth/<baseName>:<tag>`, e.g. `berth/base-bookworm:current`. */
export function baseImageRef(baseName: string, tag: string = CURRENT_TAG): string {
  return `berth/${baseName}:${tag}`;
}
