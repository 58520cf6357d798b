// A TCP load balancer on loopback, as a fleet puts in front of its relay instances: each new connection is
// piped to the backend port `pick()` names at that moment (undefined: refused). When the backend's side
// closes (an instance killed), the client's side closes too, and the client's reconnect is picked anew.
import net from 'node:net';

export interface Balancer {
  readonly url: string;
  close(): Promise<void>;
}

export function startBalancer(pick: () => number | undefined): Promise<Balancer> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    const port = pick();
    if (port === undefined) return void client.destroy();
    const upstream = net.connect(port, '127.0.0.1');
    open.add(upstream);
    upstream.once('close', () => open.delete(upstream));
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
