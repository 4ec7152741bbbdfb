import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` whenever `key` changes (and every `pollMs` while `poll(data)` says so); a stale
 * answer (the key changed meanwhile) is dropped.
 */
export function useLoad<T>(key: string, load: () => Promise<T>, options: { pollMs?: number; poll?: (data: T) => boolean } = {}): Loaded<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error; loading: boolean }>({ key, loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, loading: true }));
    loadRef.current().then(
      (data) => live && setState({ key, data, loading: false }),
      (error: unknown) => live && setState((previous) => ({ key, data: previous.data, error: error as Error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const { pollMs, poll } = options;
  useEffect(() => {
    if (!pollMs || state.loading || state.data === undefined || (poll && !poll(state.data))) return;
    const timer = setTimeout(() => setTick((t) => t + 1), pollMs);
    return () => clearTimeout(timer);
  }, [pollMs, poll, state]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.key === key ? state.data : undefined, error: state.error, loading: state.loading, reload };
}

export { ApiError };
