const numberFormat = new Intl.NumberFormat('en');

export const num = (value: number) => numberFormat.format(value);

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function ago(iso: string | null | undefined, nowMs = Date.now()): string {
  if (!iso) return 'never';
  return duration((nowMs - Date.parse(iso)) / 1000) + ' ago';
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400)} days`;
}

export function inactiveFor(iso: string | null, nowMs = Date.now()): string {
  if (!iso) return 'never active';
  const days = Math.floor((nowMs - Date.parse(iso)) / 86_400_000);
  return days <= 0 ? 'today' : `${days} days`;
}
