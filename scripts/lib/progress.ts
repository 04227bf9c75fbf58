/**
 * A one-line progress bar on stderr: phase, done/total, rate, ETA. On a terminal it redraws in place at most
 * ten times a second; otherwise (CI, a log file) it prints a line every few seconds.
 */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly phase: string,
    private readonly total: number,
    private readonly unit = 'rows',
  ) {
    this.draw(true);
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 100 : 5000)) this.draw(false);
  }

  finish(): number {
    this.done = Math.max(this.done, this.total);
    this.draw(true);
    if (this.tty) process.stderr.write('\n');
    return (Date.now() - this.started) / 1000;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now === this.lastDraw) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const share = this.total ? Math.min(this.done / this.total, 1) : 1;
    const eta = rate > 0 && this.done < this.total ? (this.total - this.done) / rate : 0;
    const width = 24;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line =
      `${this.phase.padEnd(16)} ${bar} ${formatCount(this.done)}/${formatCount(this.total)} ${this.unit} ` +
      `${formatCount(Math.round(rate))}/s ${this.done >= this.total ? `${seconds.toFixed(1)} s` : `ETA ${eta.toFixed(0)} s`}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

/** A step without a count (index builds, ANALYZE): its name, then its duration when done. */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stderr.write(`${label.padEnd(16)} …`);
  const result = await work();
  process.stderr.write(` ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}
