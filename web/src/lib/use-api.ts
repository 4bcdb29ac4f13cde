import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Load again (keeps showing the current data meanwhile). */
  reload(): void;
}

/**
 * Loads data when the component mounts and whenever deps change; with pollMs, loads again that often
 * (only while the tab is visible). A newer load aborts an older one.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], options: { pollMs?: number; enabled?: boolean } = {}): Loaded<T> {
  const enabled = options.enabled !== false;
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ key: string; data: T | undefined; error: unknown; loading: boolean }>({ key, data: undefined, error: undefined, loading: enabled });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, data: undefined, error: undefined, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key, data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ key, data: s.key === key ? s.data : undefined, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, tick, enabled]);

  const pollMs = options.pollMs;
  useEffect(() => {
    if (!pollMs || !enabled) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs, enabled]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  // Data of other deps is never shown, even for the render before the effect runs.
  if (state.key !== key) return { data: undefined, error: undefined, loading: enabled, reload };
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A value that follows `value` after it has been still for `ms` (for search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setCurrent(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return current;
}
