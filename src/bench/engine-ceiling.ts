import type { DockerEnginePort } from '../containers/docker-engine-port.js';

/**
 * The engine's ceiling for fresh isolation: containers per second through create + start +
 * remove, sequentially (the engine serialises these calls; concurrency does not help).
 */
export async function engineCeiling(
  engine: DockerEnginePort,
  imageId: string,
  labels: Readonly<Record<string, string>>,
  count: number,
): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const id = await engine.create({
      Image: imageId,
      Entrypoint: ['true'],
      Labels: { ...labels },
      HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
    });
    await engine.start(id);
    await engine.remove(id);
  }
  return count / ((Date.now() - t0) / 1000);
}
