import net from "node:net";

/**
 * A TCP proxy on 127.0.0.1 for fault tests: it forwards every connection to `targetPort` and can
 * drop them on demand: all live connections at once, or each connection that sends a commit
 * (a message naming `marker`) after `bytes` bytes of the server's reply, so the connection
 * breaks inside the commit's answer (the commit may or may not have happened).
 */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every live connection (both sides). */
  cutAll(): void;
  /** From now on, cut each connection `bytes` bytes into the reply to a `marker` message. */
  cutInReply(marker: string, bytes: number): void;
  /** Stops cutting inside replies (connections already armed are still cut). */
  stopCutting(): void;
  /** From now on, forwards nothing either way (a server that stopped answering), or again. */
  hold(on: boolean): void;
  /** How many connections were cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes of the server's reply still forwarded before the cut, once armed. */
  budget?: number;
  dead: boolean;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const live = new Set<Pair>();
  let armed: { marker: string; bytes: number } | undefined;
  let cuts = 0;
  let held = false;
  const cut = (pair: Pair): void => {
    if (pair.dead) return;
    pair.dead = true;
    cuts++;
    pair.client.destroy();
    pair.upstream.destroy();
    live.delete(pair);
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair: Pair = { client, upstream, dead: false };
    live.add(pair);
    for (const socket of [client, upstream]) {
      socket.on("error", () => cut(pair));
      socket.on("close", () => cut(pair));
    }
    client.on("data", (chunk: Buffer) => {
      if (pair.dead || held) return;
      if (armed && pair.budget === undefined && chunk.includes(armed.marker)) pair.budget = armed.bytes;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (pair.dead || held) return;
      if (pair.budget === undefined || chunk.length < pair.budget) {
        if (pair.budget !== undefined) pair.budget -= chunk.length;
        client.write(chunk);
        return;
      }
      // Forward the first bytes of the reply, then break both sides: nothing more goes through.
      const part = chunk.subarray(0, pair.budget);
      pair.budget = 0;
      upstream.destroy();
      client.write(part, () => cut(pair));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get cuts() {
      return cuts;
    },
    cutAll: () => {
      for (const pair of [...live]) cut(pair);
    },
    cutInReply: (marker, bytes) => {
      armed = { marker, bytes };
    },
    hold: (on) => {
      held = on;
    },
    stopCutting: () => {
      armed = undefined;
    },
    close: () => {
      for (const pair of [...live]) cut(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
