import type { TokenAuthority } from "./auth";
import { FaultInjector } from "./faults";
import type { BuildLogWriter } from "./packer-log";
import type { SignInMaterial } from "./sign-in";
import type { StagingStorage } from "./staging-storage";
import type { Repository } from "./store/repository";

export interface Timing {
  /** How long create/update/delete operations stay InProgress. */
  lroDurationMs: number;
  /** How long a build takes from Queued to Succeeded. */
  buildDurationMs: number;
  /** Retry-After sent with LRO responses (0 allowed: the SDK then uses its own interval). */
  retryAfterSeconds: number;
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

/**
 * What handlers work with: configuration (url, timing, page size), the clock, the repository of templates,
 * triggers and operations, auth, fault injection, the request log and logging. How state is stored is the
 * repository's business (store/).
 */
export class EmulatorContext {
  url = "";
  /** The blob service holding staging accounts and build logs, and the writer of the logs (set at start). */
  storage!: StagingStorage;
  buildLogs!: BuildLogWriter;
  timing: Timing;
  /** The shape builds write their customization.log in (option `logShape`). */
  logShape: "recent" | "older" = "recent";
  readonly faults = new FaultInjector();
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
  ) {
    this.timing = { ...startTiming };
  }

  recordRequest(entry: RequestLogEntry): void {
    if (this.requestLog.length >= REQUEST_LOG_LIMIT) this.requestLog.splice(0, REQUEST_LOG_LIMIT / 2);
    this.requestLog.push(entry);
  }
}
