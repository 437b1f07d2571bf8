import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InfraConfig } from '../config/infra-config.js';
import { InfraError } from '../domain/infra-error.js';
import { ensureAptPackages } from './apt-package.js';

const run = promisify(execFile);

/** Directory of the broker's jars for the configured version (outside the repository). */
export function kafkaLibDir(config: InfraConfig): string {
  return join(config.cacheDir, `kafka-${config.kafkaVersion}`, 'lib');
}

function pom(config: InfraConfig): string {
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>io.berth</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dep('org.apache.kafka', 'kafka_2.13', config.kafkaVersion)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', config.log4jVersion)}
</dependencies></project>
`;
}

/**
 * Ensures the Kafka broker jars (org.apache.kafka:kafka_2.13 with its runtime dependencies, plus
 * the log4j SLF4J binding the Maven pom leaves out) are in the cache, resolved with Debian's Maven
 * (installed when `mvn` is missing) through Berth's own local repository under the cache dir. A
 * second call is offline: the directory is only published (renamed into place) once complete.
 */
export async function ensureKafkaJars(config: InfraConfig, log: (line: string) => void): Promise<string> {
  const lib = kafkaLibDir(config);
  if (existsSync(join(lib, `kafka_2.13-${config.kafkaVersion}.jar`))) return lib;
  await ensureAptPackages('mvn', ['maven'], log);
  const work = join(config.cacheDir, `kafka-${config.kafkaVersion}`, `resolve-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await writeFile(join(work, 'pom.xml'), pom(config));
  log(`kafka: resolving org.apache.kafka:kafka_2.13:${config.kafkaVersion} from Maven Central into ${lib}`);
  const started = Date.now();
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        '-DoutputDirectory=lib',
        // Berth's own local repository (BERTH_MAVEN_ARGS may still override it: later -D wins).
        `-Dmaven.repo.local=${config.mavenRepoDir}`,
        ...config.mavenArgs,
      ],
      {
        cwd: work,
        maxBuffer: 64 << 20,
      },
    );
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    const line = out.split('\n').find((l) => l.includes('ERROR')) ?? String(err);
    await rm(work, { recursive: true, force: true });
    throw new InfraError(
      `could not fetch the Kafka ${config.kafkaVersion} jars with mvn and none are cached in ${lib}: ${line.trim()}`,
      { retriable: false, component: 'kafka' },
    );
  }
  const jars = await readdir(join(work, 'lib'));
  await rm(lib, { recursive: true, force: true });
  await rename(join(work, 'lib'), lib);
  await rm(work, { recursive: true, force: true });
  log(`kafka: ${jars.length} jars cached in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return lib;
}
