import Docker from 'dockerode';
import type { ImageInfo, ImageStore } from '../stacks/image-store-port.js';
import { isNotFound, toDockerInfraError } from './docker-error.js';

export interface DockerImageStoreOptions {
  /** Unix socket of the engine. Default: from DOCKER_HOST (unix://…), else /var/run/docker.sock. */
  readonly socketPath?: string;
  readonly requestTimeoutMs?: number;
}

/**
 * `ImageStore` over the engine API (dockerode): inspects and lists local images, never pulls.
 * Failures become `InfraError` (docker-error.ts); a missing image is null.
 */
export class DockerImageStore implements ImageStore {
  private readonly docker: Docker;

  constructor(options: DockerImageStoreOptions = {}) {
    const host = process.env.DOCKER_HOST;
    const socketPath =
      options.socketPath ?? (host?.startsWith('unix://') ? host.slice(7) : '/var/run/docker.sock');
    this.docker = new Docker({ socketPath, timeout: options.requestTimeoutMs ?? 30_000 });
  }

  async inspect(ref: string): Promise<ImageInfo | null> {
    try {
      const img = await this.docker.getImage(ref).inspect();
      return {
        id: img.Id,
        repoTags: img.RepoTags ?? [],
        labels: img.Config?.Labels ?? {},
        sizeBytes: img.Size,
        createdAtMs: Date.parse(img.Created),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toDockerInfraError(err, `inspect image ${ref}`);
    }
  }

  async listByLabel(key: string, value: string): Promise<readonly ImageInfo[]> {
    try {
      const images = await this.docker.listImages({ filters: { label: [`${key}=${value}`] } });
      return images.map((img) => ({
        id: img.Id,
        repoTags: (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        labels: img.Labels ?? {},
        sizeBytes: img.Size,
        createdAtMs: img.Created * 1000,
      }));
    } catch (err) {
      throw toDockerInfraError(err, 'list images');
    }
  }
}
