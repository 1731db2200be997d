/** Feeding the live view: `prewarm status --watch` polls the API; `prewarm controller --watch` refreshes after ticks. */
import type { StatusReport } from '../api/service';
import { type Clock, systemClock } from '../clock/clock';
import { type LiveReport, LiveView, liveViewMode } from './live-view';

/** Where a watch writes: the CLI's io, structurally (this module sits below the CLI). */
export interface WatchIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  stdoutIsTTY?: boolean;
  /** The terminal's size, when stdout is one. */
  columns?(): number | undefined;
  rows?(): number | undefined;
}

/** Polls `fetch` every `intervalMs` until `stop` fires; a failed poll is reported once and retried. */
export async function watchStatus(
  io: WatchIo,
  fetch: () => Promise<StatusReport>,
  intervalMs: number,
  describeError: (err: unknown) => string,
  clock: Clock = systemClock,
  stop: AbortSignal = stopOnSignals(),
): Promise<number> {
  const mode = liveViewMode({ isTTY: io.stdoutIsTTY }, io.env);
  const view = new LiveView({ write: (t) => io.stdout(t) }, mode);
  // A second Ctrl-C (or any other way out) must not leave the terminal without its cursor.
  const restore = () => view.close();
  process.once('exit', restore);
  let lastError = '';
  while (!stop.aborted) {
    try {
      const report = await fetch();
      // Read the size each time: the terminal may have been resized since the last frame.
      Object.assign(mode, { columns: io.columns?.(), rows: io.rows?.() });
      view.update(report);
      lastError = '';
    } catch (err) {
      const text = describeError(err);
      // A controller restarting is worth one line, not one per poll.
      if (text !== lastError) io.stderr(text);
      lastError = text;
    }
    await clock.sleep(intervalMs, stop);
  }
  view.close();
  process.off('exit', restore);
  return 0;
}

/** Aborted by the first SIGINT or SIGTERM (Ctrl-C ends a watch cleanly, exit code 0). */
function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/**
 * Refreshes a live view whenever asked (after every reconcile tick), never two fetches at once: asks that
 * arrive while a fetch runs collapse into one more fetch after it.
 */
export class StatusFeed {
  private running = false;
  private again = false;

  constructor(
    private readonly fetch: () => Promise<LiveReport>,
    private readonly view: Pick<LiveView, 'update'>,
    private readonly onError: (err: unknown) => void,
  ) {}

  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.fetch()
      .then((r) => this.view.update(r), this.onError)
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }
}
