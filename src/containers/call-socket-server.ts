import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../domain/infra-error.js';

/** Where function containers see the call socket's directory (mounted read-only). */
export const CALL_SOCKET_MOUNT_DIR = '/run/berth-call';

/** Linux's limit on a Unix socket path (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** A hello line is `{"type":"hello","token":"<32 hex>"}`; anything longer is not one. */
const MAX_HELLO_BYTES = 256;
/** Connections that have not said hello yet, at most (a container cannot exhaust the worker). */
const MAX_UNGREETED = 64;
/** Prefix of the directories workers create under the temp dir for their call sockets. */
const OWN_DIR_PREFIX = 'berth-call-';

/** How task containers reach the directory of the call socket. */
export type CallSocketMount =
  /** The directory is a path on the Docker host (the worker runs on the host). */
  | { readonly type: 'bind'; readonly source: string }
  /** The directory is a named volume, mounted in the worker too (the worker runs in a container). */
  | { readonly type: 'volume'; readonly source: string };

export interface CallSocketServerOptions {
  /** Directory the socket is created in; absent: a new private directory under the system's temp dir. */
  readonly dir?: string;
  /** Named volume the directory is (see `CallSocketMount`); absent: a host path. */
  readonly volume?: string;
  /** How long a connection may take to say hello. */
  readonly helloTimeoutMs?: number;
}

/** A container's connection, after its hello: `rest` is what it sent after the hello line. */
export interface AcceptedCall {
  readonly socket: Socket;
  readonly rest: Buffer;
}

/** A token handed to one container; `accepted` resolves with its connection, or null once cancelled. */
export interface CallSocketExpectation {
  readonly token: string;
  readonly accepted: Promise<AcceptedCall | null>;
  /** Stops waiting (idempotent); a connection that arrives later is refused. */
  cancel(): void;
}

/**
 * The worker's call socket (docs/function-runtimes.md "Call socket"): function containers
 * connect to it and carry their session's frames on that connection instead of Docker's attach
 * stream, which takes dockerd and the container's shim off every call, both ways.
 *
 * Contract: `expect` hands out a fresh random token; the first connection whose hello line
 * carries it is given to that expectation, once; a connection with an unknown token, a malformed
 * or late hello is closed. The socket file is world-connectable (task containers run as another
 * user) in a directory only task containers of this worker's function pools mount; the token —
 * sent on the container's private attach stream — is what binds a connection to a container.
 * `close` is idempotent: refuses new connections, cancels waiting expectations, removes the file.
 */
export class CallSocketServer {
  private readonly waiting = new Map<string, (call: AcceptedCall | null) => void>();
  private readonly ungreeted = new Set<Socket>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    /** The socket's path on this machine. */
    readonly path: string,
    /** The socket's path inside a task container. */
    readonly containerPath: string,
    readonly mount: CallSocketMount,
    private readonly ownDir: string | null,
    private readonly helloTimeoutMs: number,
  ) {
    server.on('connection', (socket) => this.greet(socket));
  }

  /** Listens; rejects with a non-retriable `InfraError` when the socket cannot be created. */
  static async listen(opts: CallSocketServerOptions = {}): Promise<CallSocketServer> {
    if (opts.dir === undefined) await removeStaleDirs(tmpdir());
    const ownDir = opts.dir === undefined ? await mkdtemp(join(tmpdir(), OWN_DIR_PREFIX)) : null;
    const dir = opts.dir ?? (ownDir as string);
    const name = `${randomBytes(6).toString('hex')}.sock`;
    const path = join(dir, name);
    try {
      if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
        throw new Error(`the path ${path} is longer than a Unix socket path may be (107 bytes)`);
      await mkdir(dir, { recursive: true });
      // Task containers run as another user: they must reach the directory and the socket.
      await chmod(dir, 0o755);
      const server = createServer();
      server.maxConnections = 4096;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', () => {});
      await chmod(path, 0o666);
      const mount: CallSocketMount =
        opts.volume === undefined ? { type: 'bind', source: dir } : { type: 'volume', source: opts.volume };
      return new CallSocketServer(
        server,
        path,
        `${CALL_SOCKET_MOUNT_DIR}/${name}`,
        mount,
        ownDir,
        opts.helloTimeoutMs ?? 10_000,
      );
    } catch (err) {
      if (ownDir !== null) await rm(ownDir, { recursive: true, force: true });
      throw new InfraError(`call socket not created in ${dir}: ${(err as Error).message}`, {
        retriable: false,
        component: 'config',
        cause: err,
      });
    }
  }

  expect(): CallSocketExpectation {
    const token = randomBytes(16).toString('hex');
    let settle: (call: AcceptedCall | null) => void = () => {};
    const accepted = new Promise<AcceptedCall | null>((resolve) => {
      settle = resolve;
    });
    if (this.closed) settle(null);
    else this.waiting.set(token, settle);
    return {
      token,
      accepted,
      cancel: () => {
        if (this.waiting.delete(token)) settle(null);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const settle of this.waiting.values()) settle(null);
    this.waiting.clear();
    for (const s of this.ungreeted) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.ownDir ?? this.path, { recursive: true, force: true });
  }

  private greet(socket: Socket): void {
    if (this.closed || this.ungreeted.size >= MAX_UNGREETED) {
      socket.destroy();
      return;
    }
    this.ungreeted.add(socket);
    let buffered: Buffer = Buffer.alloc(0);
    const stop = () => {
      clearTimeout(timer);
      this.ungreeted.delete(socket);
      socket.off('data', onData);
      socket.off('error', refuse);
      socket.off('end', refuse);
    };
    const refuse = () => {
      stop();
      socket.destroy();
    };
    const timer = setTimeout(refuse, this.helloTimeoutMs);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(10);
      if (nl === -1 ? buffered.length > MAX_HELLO_BYTES : nl > MAX_HELLO_BYTES) return refuse();
      if (nl === -1) return;
      const token = tokenOf(buffered.subarray(0, nl));
      const settle = token === null ? undefined : this.waiting.get(token);
      if (token === null || settle === undefined) return refuse();
      this.waiting.delete(token);
      stop();
      // Paused until the session listens: nothing the container sends after its hello is lost.
      socket.pause();
      settle({ socket, rest: buffered.subarray(nl + 1) });
    };
    socket.on('data', onData);
    socket.on('error', refuse);
    socket.on('end', refuse);
  }
}

/**
 * Removes call socket directories of workers that are gone (killed before they could remove their
 * own): a directory whose sockets all refuse connections, or that has none, and that is older than
 * `minAgeMs` (a worker starting right now may not listen yet). Best effort.
 */
export async function removeStaleDirs(parent: string, minAgeMs = 60_000): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(OWN_DIR_PREFIX)) continue;
    const dir = join(parent, name);
    const modifiedMs = (await stat(dir).catch(() => null))?.mtimeMs ?? Date.now();
    if (Date.now() - modifiedMs < minAgeMs) continue;
    const sockets = (await readdir(dir).catch(() => null))?.filter((f) => f.endsWith('.sock'));
    if (sockets === undefined) continue;
    const live = await Promise.all(sockets.map((s) => answers(join(dir, s))));
    if (!live.includes(true)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Whether something listens on the Unix socket at `path` (connects, then hangs up). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The token of a hello line, or null when the line is not a hello. */
function tokenOf(line: Buffer): string | null {
  try {
    const o = JSON.parse(line.toString('utf8')) as { type?: unknown; token?: unknown };
    return o.type === 'hello' && typeof o.token === 'string' ? o.token : null;
  } catch {
    return null;
  }
}
