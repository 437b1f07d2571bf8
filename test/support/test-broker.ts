import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadInfraConfig } from '../../src/config/infra-config.js';
import { ensureKafkaJars } from '../../src/infra/kafka-distribution.js';
import { logTail } from '../../src/infra/managed-process.js';
import { probeBroker } from '../../src/kafka/broker-probe.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';

/** A TCP port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface TestBrokerOptions {
  /** Client listener port; default a free one. */
  readonly port?: number;
  /** Port advertised to clients in metadata (e.g. a TcpProxy's); default `port`. */
  readonly advertisedPort?: number;
  /** JVM heap in MiB (256–384); default 320. */
  readonly heapMb?: number;
  /** Milliseconds to wait for a topic to be creatable; default 90 s. */
  readonly startTimeoutMs?: number;
}

/** Brokers alive in this test process: killed and their directories removed if the process exits. */
const alive = new Set<TestBroker>();
process.once('exit', () => {
  for (const b of alive) b.killNow();
});

/**
 * A single-node KRaft Kafka broker of a test's own, from the jars `berth infra up` cached: free
 * ports, its own temporary data directory, a 256–384 MiB heap. Unlike the shared broker on 9092
 * it may be killed (`kill9`), restarted on the same data and ports (`restart`), and advertise
 * another port than it listens on (a fault-injecting proxy in front of it). `stop()` kills it and
 * removes its directory; so does the test process exiting.
 */
export class TestBroker {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly controllerPort: number,
    readonly advertisedPort: number,
    /** A second listener advertising itself (when the first advertises a proxy), for the test's own clients. */
    readonly directPort: number,
    private readonly lib: string,
    private readonly heapMb: number,
    private readonly startTimeoutMs: number,
  ) {}

  /** Formats a fresh data directory, starts the broker and waits until a topic can be created. */
  static async start(opts: TestBrokerOptions = {}): Promise<TestBroker> {
    const heapMb = opts.heapMb ?? 320;
    if (heapMb < 256 || heapMb > 384) throw new Error(`test broker heap must be 256–384 MiB, got ${heapMb}`);
    const lib = await ensureKafkaJars(loadInfraConfig(), () => undefined);
    const port = opts.port ?? (await freePort());
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    let directPort = port;
    if ((opts.advertisedPort ?? port) !== port) {
      directPort = await freePort();
      while (directPort === port || directPort === controllerPort) directPort = await freePort();
    }
    const dir = mkdtempSync(join(tmpdir(), 'berth-test-broker-'));
    const broker = new TestBroker(
      dir,
      port,
      controllerPort,
      opts.advertisedPort ?? port,
      directPort,
      lib,
      heapMb,
      opts.startTimeoutMs ?? 90_000,
    );
    alive.add(broker);
    try {
      broker.writeConfig();
      await broker.format();
      await broker.launch();
      return broker;
    } catch (err) {
      await broker.stop();
      throw err;
    }
  }

  /** Bootstrap address for clients: the advertised one (the proxy's, when there is one). */
  get bootstrap(): string {
    return `${HOST}:${this.advertisedPort}`;
  }

  /**
   * A bootstrap bypassing any proxy: with a proxy in front, a second listener that advertises
   * itself, so clients bootstrapped here never route through the proxy (its cuts then hit only
   * the clients under test).
   */
  get direct(): string {
    return `${HOST}:${this.directPort}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  private get propsFile(): string {
    return join(this.dir, 'server.properties');
  }

  private writeConfig(): void {
    const log4j = join(this.dir, 'log4j2.properties');
    writeFileSync(
      this.propsFile,
      `process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=${HOST}:${this.controllerPort}
listeners=PLAINTEXT://${HOST}:${this.port},CONTROLLER://${HOST}:${this.controllerPort}${this.directPort === this.port ? '' : `,DIRECT://${HOST}:${this.directPort}`}
advertised.listeners=PLAINTEXT://${HOST}:${this.advertisedPort}${this.directPort === this.port ? '' : `,DIRECT://${HOST}:${this.directPort}`}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,DIRECT:PLAINTEXT
log.dirs=${join(this.dir, 'data')}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=10485760
`,
    );
    writeFileSync(
      log4j,
      `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${join(this.dir, 'server.log')}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
`,
    );
  }

  private async format(): Promise<void> {
    // Kafka's Uuid: 16 random bytes, base64url without padding (what StorageTool random-uuid prints).
    const clusterId = randomBytes(16).toString('base64url');
    await run('java', [
      '-cp',
      `${this.lib}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      clusterId,
      '-c',
      this.propsFile,
    ]);
  }

  private async launch(): Promise<void> {
    const out = openSync(join(this.dir, 'console.log'), 'a');
    const child = spawn(
      'java',
      [
        '-Xms256m',
        `-Xmx${this.heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:TieredStopAtLevel=1',
        `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
        '-cp',
        `${this.lib}/*`,
        'kafka.Kafka',
        this.propsFile,
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < this.startTimeoutMs) {
      if (this.child === null) break;
      const info = await probeBroker([this.bootstrap], { createTopic: true, timeoutMs: 3000 });
      if (info) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    const tail =
      (await logTail(join(this.dir, 'server.log'), 15)) || (await logTail(join(this.dir, 'console.log'), 15));
    throw new Error(`test broker on ${this.direct} did not come up; last log lines:\n${tail}`);
  }

  /** Resolves once a client can create a topic on the (advertised) bootstrap address. */
  async ready(): Promise<void> {
    await this.waitReady();
  }

  /** SIGKILL, no shutdown at all; resolves once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Starts the broker again on the same data directory and ports; waits until it is usable. */
  async restart(): Promise<void> {
    await this.kill9();
    await this.launch();
  }

  /** Kills the broker and removes its directory; idempotent. */
  async stop(): Promise<void> {
    await this.kill9();
    alive.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last-resort cleanup (process exit). */
  killNow(): void {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
