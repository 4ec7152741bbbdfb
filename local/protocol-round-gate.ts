import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP front for a single-session Postgres (PGlite behind pglite-socket) that lets many client
 * connections share it safely. pglite-socket multiplexes connections message by message, which keeps
 * explicit transactions together but not an extended-protocol round (Parse/Bind/Execute … Sync): two
 * pooled connections could overwrite each other's unnamed portal. The gate lets one client connection
 * at a time talk to the database, from its first message until the database is idle again (every Sync
 * or Query answered with ReadyForQuery status `I`), so each connection sees a private session and
 * transactions are simply serialized. Every client gets its own upstream connection.
 */

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const READY_FOR_QUERY = 0x5a; // 'Z'
const EMPTY = Buffer.alloc(0);

/** A FIFO lock over the one database session. */
class SessionLock {
  private holder: object | undefined;
  private readonly waiters: Array<{ owner: object; grant: () => void }> = [];

  acquire(owner: object): Promise<void> {
    if (this.holder === owner) return Promise.resolve();
    if (!this.holder) {
      this.holder = owner;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiters.push({ owner, grant }));
  }

  release(owner: object): void {
    const queued = this.waiters.findIndex((w) => w.owner === owner);
    if (queued !== -1) this.waiters.splice(queued, 1);
    if (this.holder !== owner) return;
    const next = this.waiters.shift();
    this.holder = next?.owner;
    next?.grant();
  }
}

/** Splits a client's byte stream into whole protocol messages. */
function takeMessage(buffer: Buffer, startup: boolean): { message: Buffer; rest: Buffer } | undefined {
  const headerLength = startup ? 4 : 5;
  if (buffer.length < headerLength) return undefined;
  const length = startup ? buffer.readInt32BE(0) : 1 + buffer.readInt32BE(1);
  if (buffer.length < length) return undefined;
  return { message: buffer.subarray(0, length), rest: buffer.subarray(length) };
}

class GatedConnection {
  private inbound: Buffer = Buffer.alloc(0);
  /** The start of a backend message whose header has not fully arrived yet. */
  private partialHeader: Buffer = EMPTY;
  /** Bytes of the current backend message still to come (passed through unparsed). */
  private skip = 0;
  private startup = true;
  /** Sync/Query messages sent whose ReadyForQuery has not come back yet. */
  private awaitingReady = 0;
  /** Messages sent since the last Sync/Query (an open extended-protocol round). */
  private unsynced = 0;
  private status = 'I';
  private holding = false;
  private pumping = false;
  private closed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly lock: SessionLock,
  ) {
    client.on('data', (chunk: Buffer) => {
      this.inbound = Buffer.concat([this.inbound, chunk]);
      void this.pump();
    });
    upstream.on('data', (chunk: Buffer) => this.fromDatabase(chunk));
    client.on('close', () => this.close());
    upstream.on('close', () => this.close());
    client.on('error', () => this.close());
    upstream.on('error', () => this.close());
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = takeMessage(this.inbound, this.startup);
        if (!next || this.closed) return;
        if (this.startup) {
          const code = next.message.length >= 8 ? next.message.readInt32BE(4) : 0;
          if (code === SSL_REQUEST || code === GSS_REQUEST) {
            // No TLS on a loopback development database: answer "not supported" and go on in clear.
            this.inbound = next.rest;
            this.client.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST) {
            this.inbound = next.rest;
            this.client.destroy();
            return;
          }
        }
        if (!this.holding) {
          await this.lock.acquire(this);
          this.holding = true;
          if (this.closed) return this.lock.release(this);
          continue; // more may have arrived while waiting: take the message again from the current buffer
        }
        this.inbound = next.rest;
        const type = this.startup ? 'startup' : String.fromCharCode(next.message[0] ?? 0);
        if (type === 'startup' || type === 'S' || type === 'Q') {
          this.awaitingReady += 1;
          this.unsynced = 0;
        } else if (type !== 'd' && type !== 'c' && type !== 'f') {
          // COPY data belongs to the Query already counted; anything else opens a round until Sync.
          this.unsynced += 1;
        }
        this.startup = false;
        this.upstream.write(next.message);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Passes the database's answer through, watching for ReadyForQuery without buffering whole messages. */
  private fromDatabase(chunk: Buffer): void {
    this.client.write(chunk);
    const data = this.partialHeader.length > 0 ? Buffer.concat([this.partialHeader, chunk]) : chunk;
    this.partialHeader = EMPTY;
    let offset = Math.min(this.skip, data.length);
    this.skip -= offset;
    while (offset < data.length) {
      const available = data.length - offset;
      const type = data[offset];
      if (available < 5 || (type === READY_FOR_QUERY && available < 6)) {
        this.partialHeader = Buffer.from(data.subarray(offset));
        break;
      }
      const length = 1 + data.readInt32BE(offset + 1);
      if (type === READY_FOR_QUERY) {
        this.awaitingReady = Math.max(0, this.awaitingReady - 1);
        this.status = String.fromCharCode(data[offset + 5] ?? 0x49);
      }
      if (available < length) {
        this.skip = length - available;
        break;
      }
      offset += length;
    }
    if (this.holding && this.awaitingReady === 0 && this.unsynced === 0 && this.status === 'I') {
      this.holding = false;
      this.lock.release(this);
      if (this.inbound.length > 0) void this.pump();
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    // pglite-socket rolls back an open transaction when the upstream connection goes away and holds
    // other connections' queries until it has, so the session can be handed on once it is closed.
    if (this.upstream.destroyed) this.lock.release(this);
    else {
      this.upstream.once('close', () => this.lock.release(this));
      this.upstream.destroy();
    }
  }
}

export interface RoundGate {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port unless given) and forwards to the database at upstreamPort. */
export async function startRoundGate(upstreamPort: number, port = 0): Promise<RoundGate> {
  const lock = new SessionLock();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    // Without TCP_NODELAY every small protocol answer waits for a delayed ACK (~40 ms per round).
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    new GatedConnection(client, upstream, lock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
