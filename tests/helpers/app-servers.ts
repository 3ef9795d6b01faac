/**
 * Apps of the tests over sockets, each listening on 127.0.0.1 at a port the OS picks, and the
 * hand-written connections opened to them; `closeAll()` (in afterEach) closes every one.
 */
import type { AddressInfo } from "node:net";
import type { Predictor } from "../../core/predictor.js";
import { type App, type AppOptions, buildApp } from "../../server/app.js";
import { RawConnection } from "./raw-http.js";

export interface Served {
  app: App;
  port: number;
  /** A new connection to the app, closed by closeAll(). */
  open(): Promise<RawConnection>;
}

export class AppServers {
  private readonly apps: App[] = [];
  private readonly connections: RawConnection[] = [];

  async serve(predictor: Predictor, options: Partial<AppOptions> = {}): Promise<Served> {
    const app = buildApp({ predictor, ...options });
    this.apps.push(app);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const open = async () => {
      const connection = await RawConnection.open(port);
      this.connections.push(connection);
      return connection;
    };
    return { app, port, open };
  }

  async closeAll(): Promise<void> {
    for (const connection of this.connections.splice(0)) connection.destroy();
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }
}
