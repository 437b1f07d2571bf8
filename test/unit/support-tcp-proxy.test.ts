import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kafkaApiKey, TcpProxy } from '../support/tcp-proxy.js';

/** An echo server that counts the bytes it received (it did the work even if the reply is lost). */
async function echoServer(): Promise<{ server: Server; port: number; received: () => string }> {
  let received = '';
  const server = createServer((s) =>
    s.on('data', (d: Buffer) => {
      received += d.toString();
      s.write(d);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port, received: () => received };
}

interface Client {
  readonly socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves with how the connection ended. */
  readonly ended: Promise<'closed' | 'error'>;
}

function client(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const ended = new Promise<'closed' | 'error'>((res) => {
      socket.once('error', () => res('error'));
      socket.once('close', () => res('closed'));
    });
    socket.once('connect', () => resolve({ socket, text: () => text, ended }));
    socket.once('error', reject);
  });
}

async function until(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('TcpProxy (test support)', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: TcpProxy;

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await TcpProxy.start({ targetPort: echo.port });
  });

  afterEach(async () => {
    await proxy.close();
    await new Promise((r) => echo.server.close(r));
  });

  it('forwards both ways', async () => {
    const c = await client(proxy.port);
    c.socket.write('hello');
    await until(() => c.text() === 'hello');
    expect(echo.received()).toBe('hello');
    expect(proxy.connections).toBe(1);
    c.socket.destroy();
    await until(() => proxy.connections === 0);
  });

  it('cuts every open connection', async () => {
    const a = await client(proxy.port);
    const b = await client(proxy.port);
    a.socket.write('a');
    b.socket.write('b');
    await until(() => a.text() === 'a' && b.text() === 'b');
    expect(proxy.cutAll()).toBe(2);
    await Promise.all([a.ended, b.ended]);
    expect(proxy.connections).toBe(0);
    const c = await client(proxy.port);
    c.socket.write('again');
    await until(() => c.text() === 'again');
    c.socket.destroy();
  });

  it('cuts after a request reached the server, before its reply is forwarded, once', async () => {
    const c = await client(proxy.port);
    c.socket.write('before');
    await until(() => c.text() === 'before');
    const cut = proxy.cutAfterRequest((chunk) => chunk.toString() === 'lost');
    c.socket.write('skipped'); // does not match: forwarded and answered
    await until(() => c.text() === 'beforeskipped');
    c.socket.write('lost');
    await cut;
    expect(await c.ended).toBeDefined();
    expect(echo.received()).toBe('beforeskippedlost'); // the server got the request…
    expect(c.text()).toBe('beforeskipped'); // …the client never got its reply
    expect(proxy.cuts).toBe(1);
    expect(proxy.cutPending).toBe(false);
    const d = await client(proxy.port); // the cut was one-shot
    d.socket.write('lost');
    await until(() => d.text() === 'lost');
    d.socket.destroy();
  });

  it('refuses new connections for a while, then accepts again', async () => {
    const open = await client(proxy.port);
    proxy.refuseFor(300);
    await open.ended;
    const refused = await client(proxy.port).then(
      (c) => c.ended.then(() => 'ended'),
      () => 'reset',
    );
    expect(['ended', 'reset']).toContain(refused);
    expect(proxy.refused).toBe(1);
    await new Promise((r) => setTimeout(r, 350));
    const c = await client(proxy.port);
    c.socket.write('back');
    await until(() => c.text() === 'back');
    c.socket.destroy();
  });

  it('reads a Kafka request api key', () => {
    const produce = Buffer.from([0, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0, 1]);
    const metadata = Buffer.from([0, 0, 0, 10, 0, 3, 0, 6, 0, 0, 0, 1]);
    expect(kafkaApiKey(produce)).toBe(0);
    expect(kafkaApiKey(metadata)).toBe(3);
    expect(kafkaApiKey(Buffer.from([0, 0]))).toBeNull();
  });
});
