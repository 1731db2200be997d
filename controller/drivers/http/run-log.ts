/**
 * What an http driver run did, one line per request, kept as the job's stderr so job views show the exchange the
 * way they show an exec driver's log. Bounded: the first lines (the POST) and the last ones (how polling ended) are
 * the useful ones, so a long poll loses its middle, never its ends.
 */
import type { Clock } from '../../clock/clock';
import { boundedText } from '../../net/outbound';

/** The whole log, at most; the same bound as an exec driver's stderr. */
export const RUN_LOG_LIMIT_BYTES = 64 * 1024;
const HEAD_BYTES = 16 * 1024;
/** One line, at most (a URL from a Location header can be long). */
const LINE_CHARS = 400;

export class RunLog {
  private readonly head: string[] = [];
  private headBytes = 0;
  private tail: string[] = [];
  private tailBytes = 0;
  private omitted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly started: number,
  ) {}

  /** Adds one line, prefixed with the time since the run started; control characters never go in. */
  line(text: string): void {
    const seconds = ((this.clock.now() - this.started) / 1000).toFixed(3);
    const line = `+${seconds}s ${boundedText(text, LINE_CHARS)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.tail.length === 0 && this.headBytes + bytes <= HEAD_BYTES) {
      this.head.push(line);
      this.headBytes += bytes;
      return;
    }
    this.tail.push(line);
    this.tailBytes += bytes;
    // Room for the "lines left out" marker too.
    while (this.tailBytes > RUN_LOG_LIMIT_BYTES - HEAD_BYTES - 100 && this.tail.length > 1) {
      this.tailBytes -= Buffer.byteLength(this.tail.shift()!);
      this.omitted++;
    }
  }

  text(): string {
    const marker = this.omitted > 0 ? `… ${this.omitted} lines left out …\n` : '';
    return this.head.join('') + marker + this.tail.join('');
  }
}
