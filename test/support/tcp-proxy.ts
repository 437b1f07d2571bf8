import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface TcpProxyOptions {
  readonly targetHost?: string;
  readonly targetPort: number;
  /** 0 (default) picks a free port. */
  readonly listenPort?: number;
  readonly host?: string;
}

/** Decides whether a client→server chunk is the request a pending cut waits for. */
export type RequestMatcher = (chunk: Buffer) => boolean;

interface Link {
  readonly client: Socket;
  readonly server: Socket;
  /** Set once a matching request went through while a cut was armed: called when the cut happens. */
  doomed: (() => void) | null;
}

interface ArmedCut {
  readonly match: RequestMatcher;
  readonly done: () => void;
}

/** A Kafka request's api key (Produce = 0): bytes 4–5 after the int32 size, for `cutAfterRequest`. */
export function kafkaApiKey(chunk: Buffer): number | null {
  return chunk.length >= 6 ? chunk.readInt16BE(4) : null;
}

/**
 * A fault-injecting TCP proxy for tests: accepts on a loopback port and forwards each connection
 * to the target. Faults: `cutAll()` destroys every open connection; `cutAfterRequest()` arms a
 * one-shot cut that forwards the next matching client→server chunk and then destroys both sockets
 * as soon as the server starts replying on that connection (the server did the work, the client
 * never hears of it); `refuseFor(ms)` resets new connections for a while.
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private armed: ArmedCut | null = null;
  private refuseUntilMs = 0;
  /** Connections accepted (including refused ones). */
  accepted = 0;
  /** Connections cut by a fault. */
  cuts = 0;
  /** Connections reset because the proxy was refusing. */
  refused = 0;

  private constructor(
    private readonly server: Server,
    private readonly opts: TcpProxyOptions,
    readonly port: number,
  ) {}

  static async start(opts: TcpProxyOptions): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.listenPort ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    const proxy = new TcpProxy(server, opts, address.port);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** host:port clients should use. */
  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Open proxied connections. */
  get connections(): number {
    return this.links.size;
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (Date.now() < this.refuseUntilMs) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    const server = tcpConnect({ host: this.opts.targetHost ?? '127.0.0.1', port: this.opts.targetPort });
    const link: Link = { client, server, doomed: null };
    this.links.add(link);
    const close = () => {
      if (!this.links.delete(link)) return;
      client.destroy();
      server.destroy();
    };
    client.on('error', close);
    server.on('error', close);
    client.on('close', close);
    server.on('close', close);
    client.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      if (armed && !link.doomed && armed.match(chunk)) {
        this.armed = null;
        link.doomed = armed.done;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (link.doomed) {
        this.cuts++;
        this.destroy(link);
        link.doomed();
        return;
      }
      client.write(chunk);
    });
    server.once('connect', () => client.resume());
  }

  private destroy(link: Link): void {
    this.links.delete(link);
    link.server.destroy();
    link.client.resetAndDestroy();
  }

  /** (a) Destroys every open connection now; returns how many. */
  cutAll(): number {
    const n = this.links.size;
    for (const link of [...this.links]) this.destroy(link);
    this.cuts += n;
    return n;
  }

  /**
   * (b) Arms a one-shot cut: the next client→server chunk accepted by `match` (default: any) is
   * forwarded, and that connection is destroyed — both sides — when the first server→client bytes
   * arrive after it, so the reply is lost. Resolves once the cut happened. Re-arming replaces a
   * cut still waiting for its request (whose promise then never resolves).
   */
  cutAfterRequest(match: RequestMatcher = () => true): Promise<void> {
    return new Promise((resolve) => {
      this.armed = { match, done: resolve };
    });
  }

  /** Whether a cut armed by `cutAfterRequest` still waits for its request. */
  get cutPending(): boolean {
    return this.armed !== null;
  }

  /** (c) Resets new connections for `ms` milliseconds; existing ones are cut too unless told not to. */
  refuseFor(ms: number, opts: { cutExisting?: boolean } = {}): void {
    this.refuseUntilMs = Date.now() + ms;
    if (opts.cutExisting ?? true) this.cutAll();
  }

  /** Stops refusing at once. */
  stopRefusing(): void {
    this.refuseUntilMs = 0;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    this.armed = null;
    for (const link of [...this.links]) this.destroy(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
