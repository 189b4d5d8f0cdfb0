package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's Apache httpd, event MPM, mod_proxy_http with {@code upgrade=websocket} (2.4.47+; mod_proxy_wstunnel
 * loaded too) and a reused backend connection pool. Sized for the 10,000-socket test: a tunnel holds a worker.
 */
public final class ApacheSetup implements ProxySetup {

    private static final Path BINARY = Path.of("/usr/sbin/apache2");
    private static final Path MODULES = Path.of("/usr/lib/apache2/modules");

    @Override
    public String name() {
        return "apache";
    }

    @Override
    public boolean available() {
        return Files.isExecutable(BINARY) && Files.exists(MODULES.resolve("mod_mpm_event.so"));
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) throws IOException {
        Files.createDirectories(dir);
        StringBuilder c = new StringBuilder();
        c.append("ServerRoot \"").append(dir).append("\"\n");
        for (String module : List.of("mpm_event", "authz_core", "headers", "proxy", "proxy_http", "proxy_wstunnel")) {
            c.append("LoadModule ").append(module).append("_module ").append(MODULES.resolve("mod_" + module + ".so"))
                    .append('\n');
        }
        c.append("""
                ServerName 127.0.0.1
                Listen 127.0.0.1:%1$d
                ListenBacklog 4096
                PidFile "%2$s/httpd.pid"
                DefaultRuntimeDir "%2$s"
                Mutex file:%2$s default
                ErrorLog "%2$s/error.log"
                LogLevel warn
                User www-data
                Group www-data
                KeepAlive On
                KeepAliveTimeout 75
                MaxKeepAliveRequests 0
                StartServers 2
                ServerLimit 200
                ThreadsPerChild 64
                MaxRequestWorkers 12800
                MinSpareThreads 64
                MaxSpareThreads 12800
                ThreadLimit 64
                MaxConnectionsPerChild 0
                ProxyPreserveHost On
                ProxyAddHeaders On
                RequestHeader set X-Forwarded-Proto "http"
                RequestHeader set X-Forwarded-Port "%1$d"
                ProxyPass "/" "http://127.0.0.1:%3$d/" upgrade=websocket keepalive=On timeout=3600
                ProxyPassReverse "/" "http://127.0.0.1:%3$d/"
                """.formatted(port, dir, backendPort));
        Path file = dir.resolve("httpd.conf");
        Files.writeString(file, c.toString());
        return List.of(BINARY.toString(), "-f", file.toString(), "-DFOREGROUND");
    }
}
