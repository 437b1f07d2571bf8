import Docker from 'dockerode';

export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly storageDriver: string;
  readonly cgroupVersion: string;
  readonly defaultRuntime: string;
}

/**
 * Asks the Docker engine behind `socketPath` who it is. Resolves null when nothing answers within
 * `timeoutMs` (no socket, engine starting or dead); never throws.
 */
export async function probeEngine(socketPath: string, timeoutMs = 2000): Promise<EngineInfo | null> {
  const docker = new Docker({ socketPath, timeout: timeoutMs });
  try {
    const [version, info] = await Promise.all([docker.version(), docker.info()]);
    const i = info as { Driver?: string; CgroupVersion?: string; DefaultRuntime?: string };
    return {
      version: version.Version,
      apiVersion: version.ApiVersion,
      storageDriver: i.Driver ?? 'unknown',
      cgroupVersion: i.CgroupVersion ?? 'unknown',
      defaultRuntime: i.DefaultRuntime ?? 'unknown',
    };
  } catch {
    return null;
  }
}
