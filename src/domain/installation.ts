import { InfraError } from './infra-error.js';

/** What an installation id may contain: safe as a Docker label value and in a label filter. */
export const INSTALLATION_ID_PATTERN = /^[A-Za-z0-9._:/-]{1,200}$/;

/** The installation id of a Kafka cluster and topic prefix: `<cluster id>/<prefix>`. */
export function installationIdOf(clusterId: string, topicPrefix: string): string {
  return `${clusterId}/${topicPrefix}`;
}

/**
 * Which installation — one Kafka cluster and topic prefix — a worker's task containers belong to.
 * Every task container is labelled `berth.installation=<id>`, and the reaper lists and removes
 * only containers of its own installation, so installations sharing one Docker engine (whose
 * workers cannot see each other's heartbeats) never remove each other's containers.
 *
 * The id is looked up once (the cluster id needs a broker round trip, or it is configured) by
 * `resolve`, which the worker awaits at start before any container is created; `id` throws a
 * non-retriable `InfraError` until then, so a container is never created unlabelled by mistake.
 */
export class Installation {
  private value: string | null = null;

  constructor(private readonly lookup: () => Promise<string>) {}

  /** An installation whose id is known up front. */
  static of(id: string): Installation {
    const installation = new Installation(async () => id);
    installation.value = checked(id);
    return installation;
  }

  /** Looks the id up on the first call (again after a failed one); later calls return it. */
  async resolve(): Promise<string> {
    this.value ??= checked(await this.lookup());
    return this.value;
  }

  /** The resolved id; throws until `resolve` succeeded. */
  get id(): string {
    if (this.value === null) {
      throw new InfraError('installation id used before it was resolved', {
        retriable: false,
        component: 'other',
      });
    }
    return this.value;
  }
}

function checked(id: string): string {
  if (!INSTALLATION_ID_PATTERN.test(id)) {
    throw new InfraError(`installation id must match ${INSTALLATION_ID_PATTERN.source}, got '${id}'`, {
      retriable: false,
      component: 'config',
    });
  }
  return id;
}
