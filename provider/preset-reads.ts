/**
 * Preset reads for one provider process, read through a per-template list.
 *
 * A plan walk refreshes every prewarm_preset in state, each with its own ReadResource call. One controller round trip
 * per preset made a plan of 200 presets mostly waiting on the network; here the first read of a template is a single
 * get (a configuration with one preset of a template that holds thousands should not list them all), and the second
 * read of the same template fetches the whole template's list once, which then answers every later read. A walk of
 * N presets of one template costs two round trips.
 *
 * The list is as fresh as a refresh needs: Terraform starts a provider process per walk, every write made through this
 * process drops what was read (`invalidate`), and an answer older than `maxAgeMs` is fetched again. A list that was in
 * flight while a write happened is not kept.
 */
import type { PrewarmClient } from '../controller/api/client';
import type { PresetRecord } from '../controller/domain/records';

/** How long a template's list answers reads: well over one walk's refresh, well under anyone's expectation of "now". */
export const PRESET_LIST_MAX_AGE_MS = 10_000;

interface TemplateEntry {
  /** Reads seen for this template since the last invalidation. */
  reads: number;
  /** The template's presets by name, once listed. */
  list?: Promise<ReadonlyMap<string, PresetRecord>>;
  listedAt?: number;
}

export class PresetReads {
  private readonly templates = new Map<string, TemplateEntry>();

  constructor(
    private readonly now: () => number,
    private readonly maxAgeMs = PRESET_LIST_MAX_AGE_MS,
  ) {}

  /** The preset, or undefined when the controller has none by that name (like a NotFoundError from getPreset). */
  async get(client: PrewarmClient, template: string, name: string, getOne: () => Promise<PresetRecord | undefined>): Promise<PresetRecord | undefined> {
    let entry = this.templates.get(template);
    if (entry === undefined) {
      entry = { reads: 0 };
      this.templates.set(template, entry);
    }
    entry.reads++;
    const fresh = entry.list !== undefined && entry.listedAt !== undefined && this.now() - entry.listedAt < this.maxAgeMs;
    if (!fresh) {
      if (entry.reads === 1) return getOne();
      this.startList(client, template, entry);
    }
    return (await entry.list!).get(name);
  }

  /** Forgets every list: called for each write this process makes, before and after it. */
  invalidate(): void {
    this.templates.clear();
  }

  private startList(client: PrewarmClient, template: string, entry: TemplateEntry): void {
    entry.listedAt = this.now();
    entry.list = client.listPresets(template).then((records) => new Map(records.map((r) => [r.name, r] as const)));
    // A failed list is not kept: the next read asks again. (A list begun before a write belongs to an entry that
    // invalidate already dropped; only the reads that were waiting for it see it.)
    entry.list.catch(() => {
      if (this.templates.get(template) === entry) {
        entry.list = undefined;
        entry.listedAt = undefined;
      }
    });
  }
}
