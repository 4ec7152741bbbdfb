/**
 * Remembers answers under a key that names everything they were computed from (tenant, an
 * ingest-maintained data version, the UTC days the windows start on), so a remembered answer is
 * never stale: new data or a new day make a new key. Per app instance, bounded, oldest key evicted.
 */
export interface AnswerMemo<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
}

export function createAnswerMemo<T>(maxEntries = 200): AnswerMemo<T> {
  const answers = new Map<string, Promise<T>>();
  return {
    get(key, compute) {
      const known = answers.get(key);
      if (known) return known;
      // Concurrent requests for one key share the computation; a failure is not remembered.
      const pending = compute().catch((error: unknown) => {
        answers.delete(key);
        throw error;
      });
      answers.set(key, pending);
      if (answers.size > maxEntries) {
        const oldest = answers.keys().next();
        if (!oldest.done) answers.delete(oldest.value);
      }
      return pending;
    },
  };
}
