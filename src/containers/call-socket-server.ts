import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../domain/infra-error.js';

/** Where function containers see the call socket directory (mounted read-only). */
export const CALL_SOCKET_MOUNT_DIR = '/run/berth-call';

/** Linux's limit on a Unix socket path (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** A socket's name: 32 hex characters and `.sock`, plus the separator. */
const SOCKET_NAME_BYTES = 38;
/** The longest directory a call socket can be created in. */
export const MAX_CALL_SOCKET_DIR_BYTES = MAX_SOCKET_PATH_BYTES - SOCKET_NAME_BYTES;
/** A hello line is `{"type":"hello","token":"<32 hex>"}`; anything longer is not one. */
const MAX_HELLO_BYTES = 256;
/** Connections to one container's socket that have not said hello yet, at most. */
const MAX_UNGREETED = 4;
/** Prefix of the directories workers create under the temp dir: `berth-call-<pid>-…`. */
const OWN_DIR_PREFIX = 'berth-call-';

/** How task containers reach the call socket directory. */
export type CallSocketMount =
  /** The directory is a path on the Docker host (the worker runs on the host). */
  | { readonly type: 'bind'; readonly source: string }
  /** The directory is a named volume, mounted in the worker too (the worker runs in a container). */
  | { readonly type: 'volume'; readonly source: string };

export interface CallSocketServerOptions {
  /** Directory the sockets are created in; absent: a new one under the system's temp dir. */
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

/** The socket one container connects to: its path inside the container and the hello's token. */
export interface CallSocketExpectation {
  readonly containerPath: string;
  readonly token: string;
  /** Resolves with the container's connection, or null once cancelled (or the hello never came). */
  readonly accepted: Promise<AcceptedCall | null>;
  /** Stops waiting and removes the socket (idempotent). */
  cancel(): void;
}

/**
 * The worker's call sockets (docs/function-runtimes.md "Call socket"): each function container
 * connects to a socket of its own and carries its session's frames on that connection instead of
 * Docker's attach stream, which takes dockerd and the container's shim off every call, both ways.
 *
 * Contract: `expect` listens on a new socket with an unguessable name in the directory (mode
 * 0711: it can be traversed, not listed, by task containers, which mount it read-only) and a
 * fresh token; the first connection whose hello carries the token is handed over and the socket
 * is closed and removed at once, so a container can only ever reach its own socket while its
 * launcher starts. A wrong or malformed hello, none within `helloTimeoutMs`, or more than a few
 * connections at once are closed. The token travels on the container's private attach stream.
 * `close` is idempotent: cancels every expectation and removes the directory when it made it.
 */
export class CallSocketServer {
  private readonly pending = new Set<CallSocketExpectation>();
  private closed = false;

  private constructor(
    /** The sockets' directory on this machine. */
    readonly dir: string,
    readonly mount: CallSocketMount,
    private readonly ownDir: boolean,
    private readonly helloTimeoutMs: number,
  ) {}

  /** Prepares the directory; rejects with a non-retriable `InfraError` when it cannot. */
  static async open(opts: CallSocketServerOptions = {}): Promise<CallSocketServer> {
    if (opts.dir === undefined) await removeStaleDirs(tmpdir());
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), `${OWN_DIR_PREFIX}${process.pid}-`)));
    try {
      if (Buffer.byteLength(dir) > MAX_CALL_SOCKET_DIR_BYTES)
        throw new Error(
          `the directory is longer than ${MAX_CALL_SOCKET_DIR_BYTES} bytes (Unix socket paths are short)`,
        );
      await mkdir(dir, { recursive: true });
      // Task containers run as another user: they may traverse the directory, not list it.
      await chmod(dir, 0o711);
    } catch (err) {
      if (opts.dir === undefined) await rm(dir, { recursive: true, force: true });
      throw new InfraError(`call sockets cannot be created in ${dir}: ${(err as Error).message}`, {
        retriable: false,
        component: 'config',
        cause: err,
      });
    }
    const mount: CallSocketMount =
      opts.volume === undefined ? { type: 'bind', source: dir } : { type: 'volume', source: opts.volume };
    return new CallSocketServer(dir, mount, opts.dir === undefined, opts.helloTimeoutMs ?? 10_000);
  }

  /** A new socket for one container; rejects with a retriable `InfraError` when it cannot listen. */
  async expect(): Promise<CallSocketExpectation> {
    if (this.closed)
      throw new InfraError('call sockets are closed', { retriable: true, component: 'docker' });
    const name = `${randomBytes(16).toString('hex')}.sock`;
    const path = join(this.dir, name);
    const token = randomBytes(16).toString('hex');
    const server = createServer();
    server.maxConnections = MAX_UNGREETED;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chmod(path, 0o666);
    } catch (err) {
      server.close();
      await rm(path, { force: true });
      throw new InfraError(`call socket not created: ${(err as Error).message}`, {
        retriable: true,
        component: 'docker',
        cause: err,
      });
    }
    server.on('error', () => {});
    let settle: (call: AcceptedCall | null) => void = () => {};
    const accepted = new Promise<AcceptedCall | null>((resolve) => {
      settle = resolve;
    });
    let done = false;
    /** Connections still to say hello: closed once the socket is taken, cancelled or timed out. */
    const greeting = new Set<Socket>();
    const finish = (call: AcceptedCall | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.pending.delete(expectation);
      for (const g of greeting) if (g !== call?.socket) g.destroy();
      server.close();
      void rm(path, { force: true }).catch(() => undefined);
      settle(call);
    };
    const timer = setTimeout(() => finish(null), this.helloTimeoutMs);
    timer.unref();
    const expectation: CallSocketExpectation = {
      containerPath: `${CALL_SOCKET_MOUNT_DIR}/${name}`,
      token,
      accepted,
      cancel: () => finish(null),
    };
    server.on('connection', (socket) => {
      greeting.add(socket);
      socket.once('close', () => greeting.delete(socket));
      greet(socket, token, (call) => finish(call));
    });
    this.pending.add(expectation);
    return expectation;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of [...this.pending]) e.cancel();
    if (this.ownDir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Reads one connection's hello; hands the connection over when it carries `token`, else closes it. */
function greet(socket: Socket, token: string, accept: (call: AcceptedCall) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const stop = () => {
    socket.off('data', onData);
    socket.off('error', refuse);
    socket.off('end', refuse);
  };
  const refuse = () => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const nl = buffered.indexOf(10);
    if (nl === -1 ? buffered.length > MAX_HELLO_BYTES : nl > MAX_HELLO_BYTES) return refuse();
    if (nl === -1) return;
    if (tokenOf(buffered.subarray(0, nl)) !== token) return refuse();
    stop();
    // Paused until the session listens: nothing the container sends after its hello is lost.
    socket.pause();
    accept({ socket, rest: buffered.subarray(nl + 1) });
  };
  socket.on('data', onData);
  socket.on('error', refuse);
  socket.on('end', refuse);
}

/**
 * Removes the call socket directories of workers that are gone (killed before they could remove
 * their own): `berth-call-<pid>-…` under `parent` whose process no longer exists. Best effort.
 */
export async function removeStaleDirs(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = ownerPid(name);
    if (pid === null || processExists(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function ownerPid(name: string): number | null {
  const m = /^berth-call-(\d+)-/.exec(name);
  return m === null ? null : Number(m[1]);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
