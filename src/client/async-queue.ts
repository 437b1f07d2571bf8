/**
 * An unbounded push/pull queue exposed as an async iterator: `push` never blocks, `next` waits
 * for an item, `end` finishes the iteration (after buffered items), `fail` rejects the next pull.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly pulls: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  private ended = false;
  private error: unknown = null;

  constructor(private readonly onReturn: () => Promise<void> = async () => {}) {}

  push(item: T): void {
    if (this.ended) return;
    const pull = this.pulls.shift();
    if (pull) pull.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    for (const p of this.pulls.splice(0)) p.resolve({ value: undefined, done: true });
  }

  fail(err: unknown): void {
    this.error = err;
    this.ended = true;
    for (const p of this.pulls.splice(0)) p.reject(err);
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.pulls.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    await this.onReturn();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
