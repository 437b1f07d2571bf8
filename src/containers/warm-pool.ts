import { isRetriable } from '../domain/infra-error.js';
import { withRetry } from '../resilience/retry.js';
import type { ContainerLimits } from './docker-engine-port.js';
import type { LauncherSession } from './launcher-session.js';
import type { SessionRequest } from './session-factory.js';

export interface WarmPoolDeps {
  readonly open: (request: SessionRequest) => Promise<LauncherSession>;
  /** Removes a container that leaves the pool without being handed over. */
  readonly discard: (session: LauncherSession) => void;
  readonly onError: (err: unknown) => void;
  readonly limits: ContainerLimits;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/**
 * Started, idle, ready containers of ONE stack, all of one pinned image id.
 *
 * Contract: `take(imageId)` returns an idle session of exactly that image or null; the pool then
 * refills in the background, one create at a time (the engine serializes creates anyway), with
 * full-jitter backoff while the engine fails retriably; after a non-retriable failure (e.g. the
 * image was deleted) it waits the maximum backoff before trying again. `setTarget` with a new image id drains and discards
 * every idle container of the old one. Idle containers that die are dropped and replaced.
 * Warm containers have no network (`network: false`) and the pool's default limits.
 */
export class WarmPool {
  private readonly idle: LauncherSession[] = [];
  private imageId: string;
  private target = 0;
  private refilling: Promise<void> | null = null;
  private closed = false;
  private readonly stop = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly stack: string,
    imageId: string,
    private readonly deps: WarmPoolDeps,
  ) {
    this.imageId = imageId;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get currentImageId(): string {
    return this.imageId;
  }

  setTarget(imageId: string, count: number): void {
    if (this.closed) return;
    if (imageId !== this.imageId) {
      this.imageId = imageId;
      this.discardAll();
    }
    this.target = Math.max(0, Math.floor(count));
    while (this.idle.length > this.target) this.deps.discard(this.idle.pop() as LauncherSession);
    this.kick();
  }

  /** An idle session of `imageId`, or null when none is ready. */
  take(imageId: string): LauncherSession | null {
    if (imageId !== this.imageId) return null;
    let session = this.idle.shift();
    while (session !== undefined && !session.alive) {
      this.deps.discard(session);
      session = this.idle.shift();
    }
    this.kick();
    return session ?? null;
  }

  /**
   * Stops refilling and discards every idle container; resolves when a create that was under
   * way has finished and its container was discarded too. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    clearTimeout(this.retryTimer);
    this.discardAll();
    await this.refilling;
  }

  private discardAll(): void {
    for (const session of this.idle.splice(0)) this.deps.discard(session);
  }

  private kick(): void {
    if (this.refilling !== null || this.closed || this.idle.length >= this.target) return;
    this.refilling = this.refill()
      .catch((err: unknown) => {
        if (!this.closed) this.deps.onError(err);
      })
      .finally(() => {
        this.refilling = null;
        // Only after a failure that retrying right away cannot fix (e.g. the image is gone).
        if (!this.closed && this.idle.length < this.target) {
          this.retryTimer = setTimeout(() => this.kick(), this.deps.backoffMaxMs);
          this.retryTimer.unref();
        }
      });
  }

  private async refill(): Promise<void> {
    while (!this.closed && this.idle.length < this.target) {
      const imageId = this.imageId;
      const session = await withRetry(() => this.deps.open(this.requestFor(imageId)), {
        attempts: Number.POSITIVE_INFINITY,
        baseDelayMs: this.deps.backoffBaseMs,
        maxDelayMs: this.deps.backoffMaxMs,
        signal: this.stop.signal,
        shouldRetry: (err) => isRetriable(err) && imageId === this.imageId,
        onRetry: (err) => this.deps.onError(err),
      });
      if (this.closed || imageId !== this.imageId || this.idle.length >= this.target) {
        this.deps.discard(session);
        continue;
      }
      this.idle.push(session);
      void session.done.then(() => this.onIdleEnded(session));
    }
  }

  private requestFor(imageId: string): SessionRequest {
    return { stack: this.stack, imageId, limits: this.deps.limits, network: false };
  }

  /** A session's output ended: if it was still idle, it died; replace it. */
  private onIdleEnded(session: LauncherSession): void {
    const at = this.idle.indexOf(session);
    if (at === -1) return;
    this.idle.splice(at, 1);
    this.deps.discard(session);
    this.kick();
  }
}
