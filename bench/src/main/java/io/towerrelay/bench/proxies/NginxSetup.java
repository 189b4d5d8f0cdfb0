package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Debian's NGINX with the usual WebSocket idiom (map $http_upgrade) and an upstream keep-alive pool. */
public final class NginxSetup implements ProxySetup {

    private static final Path BINARY = Path.of("/usr/sbin/nginx");

    @Override
    public String name() {
        return "nginx";
    }

    @Override
    public boolean available() {
        return Files.isExecutable(BINARY);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) throws IOException {
        Files.createDirectories(dir.resolve("temp"));
        String conf = """
                worker_processes 2;
                worker_rlimit_nofile 20000;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events {
                    worker_connections 19000;
                }
                http {
                    access_log off;
                    client_body_temp_path %1$s/temp/body;
                    proxy_temp_path %1$s/temp/proxy;
                    fastcgi_temp_path %1$s/temp/fastcgi;
                    uwsgi_temp_path %1$s/temp/uwsgi;
                    scgi_temp_path %1$s/temp/scgi;
                    keepalive_timeout 75s;
                    keepalive_requests 100000;
                    map $http_upgrade $connection_upgrade {
                        default upgrade;
                        ''      '';
                    }
                    upstream tower {
                        server 127.0.0.1:%3$d;
                        keepalive 64;
                        keepalive_requests 100000;
                    }
                    server {
                        listen 127.0.0.1:%2$d backlog=4096;
                        location / {
                            proxy_pass http://tower;
                            proxy_http_version 1.1;
                            proxy_set_header Host $http_host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_set_header X-Forwarded-Proto $scheme;
                            proxy_set_header X-Forwarded-Host $host;
                            proxy_set_header X-Forwarded-Port $server_port;
                            proxy_set_header Upgrade $http_upgrade;
                            proxy_set_header Connection $connection_upgrade;
                            proxy_read_timeout 3600s;
                            proxy_send_timeout 3600s;
                            # 64 KiB answers fit in memory: no temp files (the relay streams with 64 KiB too).
                            proxy_buffers 16 8k;
                        }
                    }
                }
                """.formatted(dir, port, backendPort);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        return List.of(BINARY.toString(), "-p", dir.toString(), "-c", file.toString());
    }
}
