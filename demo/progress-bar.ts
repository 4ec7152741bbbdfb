import type { IntegrationStatus } from './api-client.js';

/** What one status poll says about the initial sync, plus the rate measured between polls. */
export interface ProgressSnapshot {
  phase: string;
  windowsDone: number;
  windowsTotal: number;
  events: number;
  users: number;
  /** Events per second over the last few polls; undefined until two polls are apart. */
  eventsPerSecond: number | undefined;
  /** Seconds left; undefined when unknown. */
  etaSeconds: number | undefined;
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** Share of the work done: the roster counts as the first step, then one step per day window. */
export function fractionDone(snapshot: ProgressSnapshot): number {
  if (snapshot.phase === 'done') return 1;
  if (snapshot.phase === 'roster' || snapshot.windowsTotal === 0) return 0;
  return Math.min(1, snapshot.windowsDone / snapshot.windowsTotal);
}

function parts(snapshot: ProgressSnapshot): string[] {
  const out = [
    `phase ${snapshot.phase}`,
    `${grouped(snapshot.users)} users`,
    `${grouped(snapshot.events)} events`,
    `${snapshot.windowsDone}/${snapshot.windowsTotal} days`,
  ];
  if (snapshot.eventsPerSecond !== undefined) out.push(`${grouped(snapshot.eventsPerSecond)} events/s`);
  out.push(`ETA ${snapshot.etaSeconds === undefined ? '--:--' : formatDuration(snapshot.etaSeconds)}`);
  return out;
}

/** One terminal line: a bar and the figures, cut to the terminal's width. */
export function renderBar(snapshot: ProgressSnapshot, columns: number): string {
  const fraction = fractionDone(snapshot);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const text = ` ${percent}  ${parts(snapshot).join('  ')}`;
  const barWidth = Math.max(10, Math.min(40, columns - 1 - text.length - 2));
  const filled = Math.round(fraction * barWidth);
  return `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]${text}`.slice(0, Math.max(20, columns - 1));
}

/** A log-friendly line for non-TTY output (CI). */
export function renderLine(snapshot: ProgressSnapshot): string {
  return `initial sync ${Math.floor(fractionDone(snapshot) * 100)}%: ${parts(snapshot).join(', ')}`;
}

/** Turns successive status documents into snapshots (rate from the last ~10 s of polls). */
export class ProgressTracker {
  private readonly samples: Array<{ at: number; events: number }> = [];

  update(status: IntegrationStatus, now = Date.now()): ProgressSnapshot {
    const { initialSync, counts } = status;
    this.samples.push({ at: now, events: counts.authEvents });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 10_000) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = (now - first.at) / 1000;
    const eventsPerSecond = elapsed >= 0.5 ? Math.max(0, (counts.authEvents - first.events) / elapsed) : undefined;
    const eta = initialSync.estimatedCompletionAt ? (Date.parse(initialSync.estimatedCompletionAt) - now) / 1000 : undefined;
    return {
      phase: initialSync.state === 'completed' ? 'done' : initialSync.phase,
      windowsDone: initialSync.backfill.windowsDone,
      windowsTotal: initialSync.backfill.windowsTotal,
      events: counts.authEvents,
      users: counts.users,
      eventsPerSecond,
      etaSeconds: initialSync.state === 'completed' ? 0 : eta === undefined ? undefined : Math.max(0, eta),
    };
  }
}

/** Draws snapshots: one redrawn line on a TTY, a plain line every `plainEveryMs` (or phase change) otherwise. */
export class ProgressReporter {
  private lastPlainAt = 0;
  private lastPhase = '';
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly plainEveryMs = 5000,
  ) {}

  show(snapshot: ProgressSnapshot, now = Date.now()): void {
    if (this.out.isTTY) {
      this.out.write(`\r${renderBar(snapshot, this.out.columns || 100)}\x1b[K`);
      this.drawn = true;
      return;
    }
    if (snapshot.phase !== this.lastPhase || now - this.lastPlainAt >= this.plainEveryMs) {
      this.out.write(`${renderLine(snapshot)}\n`);
      this.lastPlainAt = now;
      this.lastPhase = snapshot.phase;
    }
  }

  /** Ends the redrawn line so later output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
