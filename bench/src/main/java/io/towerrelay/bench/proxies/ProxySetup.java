package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How to run one proxy in front of the backend: writes its private config into {@code dir} and gives the
 * command that runs it in the foreground, as a child of the harness (never the system service).
 *
 * <p>Every proxy gets the same job: listen on 127.0.0.1:port, keep-alive connections to the backend, pass
 * Host, set X-Forwarded-For/-Proto/-Host/-Port, tunnel WebSocket upgrades with a 1 h idle timeout, no access
 * log, two workers or threads (one per core).
 */
public interface ProxySetup {

    String name();

    List<String> command(Path dir, int port, int backendPort) throws IOException;

    /** Whether this machine has the proxy (a missing Debian package is reported, not fatal). */
    boolean available();
}
