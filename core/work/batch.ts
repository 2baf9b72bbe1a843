// Results that stream to a UI go out in batches: one message per item would flood the channel (IPC,
// SSE), one message at the end would leave the list empty for minutes. A batch leaves when it is full
// or when its first item has waited `delayMs`, whichever comes first; flush() sends the rest.

export interface BatcherOptions<T> {
  /** items per batch at most */
  size: number;
  /** longest wait of a batch's first item, in milliseconds */
  delayMs: number;
  send: (items: T[]) => void;
}

export class Batcher<T> {
  private items: T[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: BatcherOptions<T>) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.opts.size) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const out = this.items;
    this.items = [];
    this.opts.send(out);
  }
}
