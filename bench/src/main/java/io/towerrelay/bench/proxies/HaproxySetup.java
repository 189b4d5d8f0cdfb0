package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's HAProxy in HTTP mode: WebSocket upgrades pass by default, {@code timeout tunnel} holds them, server
 * connections are reused (http-reuse safe), two threads.
 */
public final class HaproxySetup implements ProxySetup {

    private static final Path BINARY = Path.of("/usr/sbin/haproxy");

    @Override
    public String name() {
        return "haproxy";
    }

    @Override
    public boolean available() {
        return Files.isExecutable(BINARY);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) throws IOException {
        Files.createDirectories(dir);
        String conf = """
                global
                    nbthread 2
                    # Two descriptors per tunnel: the container's hard limit of 20,000 allows just under 10,000.
                    maxconn 9950
                    pidfile %1$s/haproxy.pid

                defaults
                    mode http
                    option http-keep-alive
                    option forwardfor
                    timeout connect 10s
                    timeout client 75s
                    timeout server 60s
                    timeout http-keep-alive 75s
                    timeout tunnel 1h
                    http-reuse safe

                frontend tower_in
                    bind 127.0.0.1:%2$d
                    maxconn 9950
                    http-request set-header X-Forwarded-Proto http
                    http-request set-header X-Forwarded-Host %%[req.hdr(host)]
                    http-request set-header X-Forwarded-Port %%[dst_port]
                    default_backend tower

                backend tower
                    server tower1 127.0.0.1:%3$d
                """.formatted(dir, port, backendPort);
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, conf);
        return List.of(BINARY.toString(), "-db", "-f", file.toString());
    }
}
