/** The demo's terminal output: scenes, timed lines, a progress line, and the control loop's Events as they happen. */
import type { Subscription } from 'rxjs';
import { kinds } from '@harbormaster/core';
import type { ControlPlane } from '@harbormaster/control-plane';

const tty = process.stdout.isTTY === true;
const color = (code: number) => (s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = color(1);
const dim = color(2);
const cyan = color(36);
const yellow = color(33);

/** Events worth showing, and how to name their source. */
const SHOWN = new Set(['ScalingReplicaSet', 'SuccessfulCreate', 'SuccessfulDelete', 'Scheduled', 'Started', 'Killing', 'SuccessfulRescale', 'BackOff', 'Failed']);

export class Printer {
  readonly #start = Date.now();
  #progress: string | undefined;
  #lastPrinted = '';
  #events: Subscription | undefined;

  #stamp(): string {
    return dim(`[${((Date.now() - this.#start) / 1000).toFixed(1).padStart(5)}s]`);
  }

  #write(text: string): void {
    if (this.#progress !== undefined && tty) process.stdout.write('\r\x1b[K');
    process.stdout.write(`${text}\n`);
    if (this.#progress !== undefined && tty) process.stdout.write(this.#progress);
  }

  scene(title: string): void {
    this.#write(`\n${bold(cyan(`== ${title}`))}`);
  }

  line(text: string): void {
    this.#write(`${this.#stamp()} ${text}`);
  }

  note(text: string): void {
    this.#write(`${this.#stamp()} ${dim(text)}`);
  }

  /**
   * A line that updates in place. Off a terminal it is printed as a line of its own when `state`
   * (what matters in it, without counters) changes.
   */
  progress(text: string, state: string = text): void {
    const line = `${this.#stamp()} ${yellow(text)}`;
    if (tty) {
      this.#progress = line;
      process.stdout.write(`\r\x1b[K${line}`);
    } else if (state !== this.#lastPrinted) {
      this.#lastPrinted = state;
      process.stdout.write(`${line}\n`);
    }
  }

  /** Let a reader take in what happened before the next scene. */
  pause(ms = 1500): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  endProgress(): void {
    if (this.#progress !== undefined && tty) process.stdout.write('\n');
    this.#progress = undefined;
    this.#lastPrinted = '';
  }

  /** Print the control loop's Events from now on. */
  follow(cp: ControlPlane): void {
    this.#events = cp.client.watch(kinds.Event, { resourceVersion: '0' }).subscribe((e) => {
      if (e.type !== 'ADDED') return;
      const ev = e.object;
      if (!SHOWN.has(ev.reason ?? '')) return;
      const who = `${(ev.involvedObject.kind ?? '').toLowerCase()}/${ev.involvedObject.name ?? ''}`;
      const source = ev.source?.component ?? ev.reportingComponent ?? '';
      this.#write(`${this.#stamp()} ${dim(`${source.padEnd(22)}`)} ${who} ${bold(ev.reason ?? '')}: ${ev.message ?? ''}`);
    });
  }

  stop(): void {
    this.endProgress();
    this.#events?.unsubscribe();
  }

  done(): void {
    this.#write(`\n${bold(`Done in ${((Date.now() - this.#start) / 1000).toFixed(1)} s: the control plane shut down cleanly.`)}`);
  }
}
