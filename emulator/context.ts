import type { TokenAuthority } from "./auth";
import { FaultInjector } from "./faults";
import { DownloadableFiles } from "./downloads";
import { IdentityAccess } from "./identity-access";
import type { SignInMaterial } from "./sign-in";
import type { TemplateRecord } from "./model";
import type { AccountPool } from "./storage-accounts";
import type { Repository } from "./store/repository";
import { SubscriptionSetup } from "./subscription-setup";

export interface Timing {
  /** How long create/update/delete operations stay InProgress. */
  lroDurationMs: number;
  /** How long a build takes from Queued to Succeeded. */
  buildDurationMs: number;
  /** Retry-After sent with LRO responses and in-progress polls; 0 (the default, as the service): none. */
  retryAfterSeconds: number;
  /** PATCH answers 200 with the updated template at once, as API 2022-07-01 did (default: 202 and an LRO). */
  syncPatch: boolean;
  /** A trigger's DELETE answers 204 at once, as recorded in 2023 and 2025 (false: 202 and an LRO, as in 2024). */
  syncTriggerDelete: boolean;
}

export interface RequestLogEntry {
  kind: "arm" | "identity";
  method: string;
  path: string;
  query: string;
  /** 0 when the connection was dropped by a fault. */
  status: number;
  time: string;
  durationMs: number;
  /** The client's User-Agent header ("" when it sent none). */
  userAgent: string;
}

const REQUEST_LOG_LIMIT = 20_000;

/** What requests use of the staging storage (staging-storage.ts): the accounts, and where clients reach them. */
export interface StagingAccounts {
  readonly accounts: AccountPool;
  blobEndpoint(account: string): string;
}

/** What requests use of the build-log writer (build-log-writer.ts): a run's log brought up to `now`. */
export interface BuildLogs {
  sync(t: TemplateRecord, now: number): Promise<void>;
}

/**
 * What handlers work with: configuration (url, timing, page size), the clock, the repository of templates,
 * triggers and operations, auth, fault injection, the subscriptions' setup and identities' access, the staging
 * storage and its log writer, the request log and logging. How state is stored is the
 * repository's business (store/).
 */
export class EmulatorContext {
  url = "";
  /** The blob service holding staging accounts and build logs, and the writer of the logs (set at start). */
  storage!: StagingAccounts;
  buildLogs!: BuildLogs;
  timing: Timing;
  /** The shape builds write their customization.log in (option `logShape`). */
  logShape: "recent" | "older" = "recent";
  readonly faults = new FaultInjector();
  /** Registrations and rights of subscriptions, as the admin API set them. */
  readonly subscriptions = new SubscriptionSetup();
  /** What templates' identities may not read, as the admin API set it. */
  readonly identityAccess = new IdentityAccess();
  /** The contents of the files templates' steps download, as tests registered them. */
  readonly downloads: DownloadableFiles;
  readonly requestLog: RequestLogEntry[] = [];
  /**
   * The time resources live by: the machine's (read through Date at each call, so tests that mock Date move it) plus
   * the admin API's advance. Tokens and TLS keep the machine's time.
   */
  readonly clock = (): number => Date.now() + this.repository.clockOffsetMs();

  constructor(
    readonly repository: Repository,
    readonly auth: TokenAuthority,
    readonly signIn: SignInMaterial,
    /** As started; admin setTiming changes `timing`, reset puts it back. */
    readonly startTiming: Timing,
    readonly pageSize: number,
    readonly log: (message: string) => void,
    files: Record<string, string | Buffer> = {},
  ) {
    this.timing = { ...startTiming };
    this.downloads = new DownloadableFiles(files);
  }

  recordRequest(entry: RequestLogEntry): void {
    if (this.requestLog.length >= REQUEST_LOG_LIMIT) this.requestLog.splice(0, REQUEST_LOG_LIMIT / 2);
    this.requestLog.push(entry);
  }
}
