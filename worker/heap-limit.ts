/**
 * The worker's V8 old-space limit, passed as `--max-old-space-size` wherever a worker process starts
 * (package.json start:worker, the Dockerfile, docker-compose.yml, the benchmark's worker children).
 *
 * Without it V8 collects lazily and a busy worker's RSS climbs to about twice its working set (380 MB
 * measured against 246 MB with the limit, same throughput). The Temporal SDK sizes its workflow cache
 * from the same limit (10 workflows at 160 MB): evicted workflows are replayed from history, which
 * for our short histories costs a little CPU, not correctness. Raise both together for workers that
 * serve thousands of tenants.
 */
export const WORKER_MAX_OLD_SPACE_MB = 160;

export const workerHeapFlag = `--max-old-space-size=${WORKER_MAX_OLD_SPACE_MB}`;
