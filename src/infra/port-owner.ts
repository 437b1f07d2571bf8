import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Best-effort description of the process listening on `port` (from `ss`), e.g. `nc (pid 42)`. */
export function portOwner(port: number): Promise<string> {
  return new Promise((resolve) => {
    execFile('ss', ['-ltnpH', `sport = :${port}`], (err, stdout) => {
      if (err) return resolve('unknown process');
      const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
      resolve(match ? `${match[1]} (pid ${match[2]})` : 'unknown process');
    });
  });
}
