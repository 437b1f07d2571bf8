import Docker from 'dockerode';

export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly storageDriver: string;
  readonly cgroupVersion: string;
  readonly defaultRuntime: string;
}

/** What a probe found: the engine, or why it could not be reached. */
export type EngineCheck =
  | { readonly ok: true; readonly info: EngineInfo }
  | { readonly ok: false; readonly reason: string };

/**
 * Asks the Docker engine behind `socketPath` who it is. Resolves with the engine or with why not
 * (the socket error, or no answer within `timeoutMs`); never throws.
 */
export async function checkEngine(socketPath: string, timeoutMs = 2000): Promise<EngineCheck> {
  const docker = new Docker({ socketPath, timeout: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<EngineCheck>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
  });
  const probe = (async (): Promise<EngineCheck> => {
    const [version, info] = await Promise.all([docker.version(), docker.info()]);
    const i = info as { Driver?: string; CgroupVersion?: string; DefaultRuntime?: string };
    return {
      ok: true,
      info: {
        version: version.Version,
        apiVersion: version.ApiVersion,
        storageDriver: i.Driver ?? 'unknown',
        cgroupVersion: i.CgroupVersion ?? 'unknown',
        defaultRuntime: i.DefaultRuntime ?? 'unknown',
      },
    };
  })().catch((err: unknown): EngineCheck => ({ ok: false, reason: (err as Error).message ?? String(err) }));
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks the Docker engine behind `socketPath` who it is. Resolves null when nothing answers within
 * `timeoutMs` (no socket, engine starting or dead); never throws.
 */
export async function probeEngine(socketPath: string, timeoutMs = 2000): Promise<EngineInfo | null> {
  const check = await checkEngine(socketPath, timeoutMs);
  return check.ok ? check.info : null;
}
