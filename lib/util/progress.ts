/**
 * Progress reporting for long work: a redrawn bar on a terminal, plain periodic lines otherwise
 * (CI logs), so both a person and a log reader see how far a job is and how long it has left.
 *
 * @module
 */

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Seconds between plain lines when stderr is not a terminal. Default 10. */
  lineEverySeconds?: number;
  /** Force the plain-line mode (true) or the bar (false); default: bar only on a terminal. */
  plain?: boolean;
  /** Print nothing at all. Default false. */
  silent?: boolean;
  /** Units are weights (e.g. estimated seconds), not items: show the percentage only. Default false. */
  weighted?: boolean;
}

/** A progress bar over `total` units of work, written to stderr. */
export class Progress {
  #label: string;
  #total: number;
  #done = 0;
  #start = performance.now();
  #lastLine = 0;
  #plain: boolean;
  #every: number;
  #silent: boolean;
  #weighted: boolean;
  #enc = new TextEncoder();

  /** Starts a bar labelled `label` over `total` units. */
  constructor(label: string, total: number, options: ProgressOptions = {}) {
    this.#label = label;
    this.#total = Math.max(total, 1);
    this.#plain = options.plain ?? !Deno.stderr.isTerminal();
    this.#every = (options.lineEverySeconds ?? 10) * 1000;
    this.#silent = options.silent ?? false;
    this.#weighted = options.weighted ?? false;
  }

  /** Marks `n` more units done and redraws (or prints a line when due). */
  tick(n = 1): void {
    this.#done = Math.min(this.#done + n, this.#total);
    if (this.#silent) return;
    const now = performance.now();
    if (this.#plain) {
      if (now - this.#lastLine >= this.#every || this.#done === this.#total) {
        this.#lastLine = now;
        this.#write(`${this.#status(now)}\n`);
      }
    } else if (now - this.#lastLine >= 100 || this.#done === this.#total) {
      this.#lastLine = now;
      const width = 30;
      const filled = Math.round((width * this.#done) / this.#total);
      this.#write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#status(now)}`);
    }
  }

  /** Ends the bar (a newline on a terminal). */
  finish(): void {
    if (!this.#silent && !this.#plain) this.#write("\n");
  }

  #status(now: number): string {
    const elapsed = (now - this.#start) / 1000;
    const rate = this.#done / Math.max(elapsed, 1e-9);
    const eta = this.#done > 0 ? (this.#total - this.#done) / rate : NaN;
    const pct = ((100 * this.#done) / this.#total).toFixed(1);
    const count = this.#weighted ? `${pct}%` : `${this.#done}/${this.#total} (${pct}%)`;
    return `${this.#label}: ${count} ${elapsed.toFixed(1)}s elapsed, ETA ${
      Number.isFinite(eta) ? eta.toFixed(1) + "s" : "?"
    }`;
  }

  #write(s: string): void {
    Deno.stderr.writeSync(this.#enc.encode(s));
  }
}
