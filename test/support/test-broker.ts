import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /** Also open a SASL_SSL listener (the PLAINTEXT one stays, for the broker itself and probes). */
  readonly saslSsl?: SaslSslOptions;
}

export interface SaslSslOptions {
  /** SCRAM users, created at storage format time with SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
  readonly scramUsers?: Readonly<Record<string, string>>;
  /** PLAIN users, in the listener's JAAS config. */
  readonly plainUsers?: Readonly<Record<string, string>>;
  /** Broker asks clients for a certificate signed by the test CA (`ssl.client.auth`); default none. */
  readonly clientAuth?: 'none' | 'requested' | 'required';
}

/** The SASL_SSL listener of a test broker and the PEM files the test made for it. */
export interface SaslSslListener {
  readonly bootstrap: string;
  /** The test CA that signed the broker's (SAN IP:127.0.0.1, DNS:localhost) and the client's certificate. */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
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
    /** Port of the SASL_SSL listener; null without `saslSsl`. */
    readonly securePort: number | null,
    private readonly sasl: SaslSslOptions | null,
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
    let securePort: number | null = null;
    if (opts.saslSsl) {
      securePort = await freePort();
      while ([port, controllerPort, directPort].includes(securePort)) securePort = await freePort();
    }
    const dir = mkdtempSync(join(tmpdir(), 'berth-test-broker-'));
    const broker = new TestBroker(
      dir,
      port,
      controllerPort,
      opts.advertisedPort ?? port,
      directPort,
      securePort,
      opts.saslSsl ?? null,
      lib,
      heapMb,
      opts.startTimeoutMs ?? 90_000,
    );
    alive.add(broker);
    try {
      if (opts.saslSsl) await broker.makeCertificates();
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

  /** The SASL_SSL listener and its certificate files; throws when the broker has none. */
  get saslSsl(): SaslSslListener {
    if (this.securePort === null) throw new Error('test broker started without saslSsl');
    return {
      bootstrap: `${HOST}:${this.securePort}`,
      caFile: join(this.dir, 'tls', 'ca.pem'),
      clientCertFile: join(this.dir, 'tls', 'client.pem'),
      clientKeyFile: join(this.dir, 'tls', 'client.key'),
    };
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

  /**
   * A CA, a broker certificate (SAN IP:127.0.0.1, DNS:localhost; the PEM keystore holds key, leaf
   * and CA, so clients see the whole chain) and a client certificate, all signed by the CA, in
   * `<dir>/tls`; valid for two days.
   */
  private async makeCertificates(): Promise<void> {
    const tls = join(this.dir, 'tls');
    mkdirSync(tls);
    const f = (name: string) => join(tls, name);
    const openssl = (...args: string[]) => run('openssl', args);
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=berth-test-ca',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
    );
    for (const [name, cn, san] of [
      ['broker', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['client', 'berth-test-client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      writeFileSync(f(`${name}.ext`), `${san}\n`);
      await openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        f(`${name}.key`),
        '-out',
        f(`${name}.csr`),
      );
      await openssl(
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f('ca.pem'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        f(`${name}.ext`),
        '-out',
        f(`${name}.pem`),
      );
    }
    writeFileSync(
      f('broker-keystore.pem'),
      [f('broker.key'), f('broker.pem'), f('ca.pem')].map((p) => readFileSync(p, 'utf8')).join(''),
    );
  }

  /** server.properties lines of the SASL_SSL listener (PLAIN users in its JAAS config). */
  private saslSslProperties(): string {
    const sasl = this.sasl;
    if (sasl === null) return '';
    const tls = join(this.dir, 'tls');
    const plainUsers = Object.entries(sasl.plainUsers ?? {})
      .map(([name, password]) => ` user_${name}="${password}"`)
      .join('');
    const prefix = 'listener.name.sasl_ssl';
    return `${prefix}.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};
${prefix}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
${prefix}.ssl.keystore.type=PEM
${prefix}.ssl.keystore.location=${join(tls, 'broker-keystore.pem')}
${prefix}.ssl.truststore.type=PEM
${prefix}.ssl.truststore.location=${join(tls, 'ca.pem')}
${prefix}.ssl.client.auth=${sasl.clientAuth ?? 'none'}
`;
  }

  private writeConfig(): void {
    const log4j = join(this.dir, 'log4j2.properties');
    const direct = this.directPort === this.port ? '' : `,DIRECT://${HOST}:${this.directPort}`;
    const secure = this.securePort === null ? '' : `,SASL_SSL://${HOST}:${this.securePort}`;
    writeFileSync(
      this.propsFile,
      `process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=${HOST}:${this.controllerPort}
listeners=PLAINTEXT://${HOST}:${this.port},CONTROLLER://${HOST}:${this.controllerPort}${direct}${secure}
advertised.listeners=PLAINTEXT://${HOST}:${this.advertisedPort}${direct}${secure}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,DIRECT:PLAINTEXT,SASL_SSL:SASL_SSL
${this.saslSslProperties()}log.dirs=${join(this.dir, 'data')}
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
    // Kafka's Uuid: 16 random bytes, base64url without padding (what StorageTool random-uuid prints),
    // drawn again when it starts with '-' as Kafka's Uuid.randomUuid() does: Kafka's tools would
    // read such an id as an option (1 format in 64 failed with "expected one argument").
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    const scram = Object.entries(this.sasl?.scramUsers ?? {}).flatMap(([name, password]) =>
      ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
        '--add-scram',
        `${m}=[name=${name},password=${password}]`,
      ]),
    );
    await run('java', [
      '-cp',
      `${this.lib}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      `--cluster-id=${clusterId}`,
      '-c',
      this.propsFile,
      ...scram,
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
