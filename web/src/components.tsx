import type { ComponentChildren } from 'preact';
import type { ApiError } from './api.js';

export function ErrorBox({ error }: { error: ApiError | Error | undefined }) {
  if (!error) return null;
  const code = 'code' in error ? (error as ApiError).code : undefined;
  return (
    <div class="error" role="alert">
      {code ? <code>{code}</code> : null} {error.message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.replaceAll(' ', '_')}`}>{status}</span>;
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const percent = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div class="progress-wrap">
      <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        <div class="progress-bar" style={{ width: `${percent}%` }} />
      </div>
      <span>
        {done} / {total} days ({percent}%)
      </span>
    </div>
  );
}
