import type { RunRecord, TemplateRecord } from "./model";
import { LOG_CONTAINER, logBlobName, packerLog, type LogLine } from "./packer-log";
import type { StagingStorage } from "./staging-storage";
import type { Repository } from "./store/repository";

/**
 * Writes each run's log lines to its append blob once they are due: on every status read of the template (so a run
 * reported as ended has its whole log) and from a timer while builds run, as the service's log grows by itself.
 */
export class BuildLogWriter {
  /** Lines already in the blob, per run; unknown after a restart until the blob's length says. */
  private readonly written = new Map<string, number>();
  private readonly complete = new Set<string>();
  private readonly queue = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    repository: Repository,
    private readonly storage: StagingStorage,
    private readonly log: (message: string) => void,
    clock: () => number,
  ) {
    this.timer = setInterval(() => {
      const now = clock();
      for (const t of repository.templatesUnder("", now)) if (t.run) void this.sync(t, now);
    }, 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sync(t: TemplateRecord, now: number): Promise<void> {
    const run = t.run;
    if (!run || now < run.startedAt) return Promise.resolve();
    const key = `${t.id.toLowerCase()}#${run.number}#${run.startedAt}`;
    if (this.complete.has(key)) return Promise.resolve();
    const next = (this.queue.get(key) ?? Promise.resolve())
      .then(() => this.write(key, t, run, now))
      .catch((e: unknown) => this.log(`writing the build log of ${t.id} failed: ${(e as Error).message}`));
    this.queue.set(key, next);
    return next;
  }

  private async write(key: string, t: TemplateRecord, run: RunRecord, now: number): Promise<void> {
    const lines = packerLog(t, run);
    const due = lines.filter((l) => l.at <= now).length;
    const blob = await this.storage.appendBlob(this.storage.accounts.accountOf(t), LOG_CONTAINER, logBlobName(t, run));
    let written = this.written.get(key);
    if (written === undefined) {
      const length = await blob.getProperties({ abortSignal: this.storage.stopping }).then(
        (p) => p.contentLength ?? 0,
        () => undefined,
      );
      if (length === undefined) {
        await this.createBlob(t, run);
        written = 0;
      } else {
        written = linesIn(lines, length);
      }
    }
    if (due > written) {
      const text = lines
        .slice(written, due)
        .map((l) => `${l.text}\n`)
        .join("");
      await blob.appendBlock(text, Buffer.byteLength(text), { abortSignal: this.storage.stopping });
      written = due;
    }
    this.written.set(key, written);
    if (written === lines.length && now >= lines[lines.length - 1].at) {
      this.complete.add(key);
      this.written.delete(key);
    }
  }

  private async createBlob(t: TemplateRecord, run: RunRecord): Promise<void> {
    const account = this.storage.accounts.accountOf(t);
    const abortSignal = this.storage.stopping;
    await (await this.storage.container(account, LOG_CONTAINER)).createIfNotExists({ abortSignal });
    await (
      await this.storage.appendBlob(account, LOG_CONTAINER, logBlobName(t, run))
    ).createIfNotExists({ abortSignal });
  }
}

/** How many whole lines of `lines` make up the first `bytes` bytes of the blob. */
function linesIn(lines: LogLine[], bytes: number): number {
  let total = 0;
  for (const [i, l] of lines.entries()) {
    total += Buffer.byteLength(l.text) + 1;
    if (total > bytes) return i;
  }
  return lines.length;
}
