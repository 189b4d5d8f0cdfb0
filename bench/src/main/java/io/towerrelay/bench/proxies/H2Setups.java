package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The proxies of the HTTP/2 phase: the relay, NGINX and HAProxy each on a TLS listener offering h2 and http/1.1 by
 * ALPN, with one self-signed certificate, the same backend over HTTP/1.1 keep-alive behind. Apache is left out
 * (its h2 module, mod_http2, is not part of this comparison's setups).
 */
public final class H2Setups {
    public static final List<String> TARGETS = List.of("relay", "nginx", "haproxy");

    private H2Setups() {
    }

    /** A self-signed certificate for 127.0.0.1 / localhost in {@code dir}: cert.pem, key.pem and both in one (HAProxy). */
    public static void certificate(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl could not make the benchmark certificate: " + out);
        }
        Files.writeString(dir.resolve("both.pem"), Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
    }

    public static ProxySetup setup(String name, Path certDir, Path relayJar, List<String> relayJvmOptions) {
        return switch (name) {
            case "relay" -> new Tls("relay", Files.isRegularFile(relayJar), (dir, port, backend) -> {
                Path file = dir.resolve("relay.yml");
                Files.writeString(file, """
                        listen:
                          address: 127.0.0.1:%1$d
                          http2: true
                          tls:
                            certificate: %3$s/cert.pem
                            key: %3$s/key.pem
                        admin:
                          address: "off"
                        upstream:
                          url: http://127.0.0.1:%2$d
                          pool-size: 64
                        limits:
                          max-connections: 20000
                        access-log: "off"
                        shutdown-grace: 1s
                        """.formatted(port, backend, certDir));
                List<String> cmd = new ArrayList<>(List.of("java"));
                cmd.addAll(RelaySetup.JVM_OPTIONS);
                cmd.addAll(relayJvmOptions);
                cmd.addAll(List.of("-jar", relayJar.toString(), "serve", "--config", file.toString()));
                return cmd;
            });
            case "nginx" -> new Tls("nginx", Files.isExecutable(Path.of("/usr/sbin/nginx")), (dir, port, backend) -> {
                Files.createDirectories(dir.resolve("temp"));
                Path file = dir.resolve("nginx.conf");
                Files.writeString(file, """
                        worker_processes 2;
                        daemon off;
                        pid %1$s/nginx.pid;
                        error_log %1$s/error.log warn;
                        events { worker_connections 4096; }
                        http {
                            access_log off;
                            # HTTP/2 connections end after keepalive_requests (default 1000) with GOAWAY; h2load
                            # does not reconnect, so a run would go quiet once the warm-up used them up.
                            keepalive_requests 100000;
                            keepalive_timeout 75s;
                            client_body_temp_path %1$s/temp/body;
                            proxy_temp_path %1$s/temp/proxy;
                            fastcgi_temp_path %1$s/temp/fastcgi;
                            uwsgi_temp_path %1$s/temp/uwsgi;
                            scgi_temp_path %1$s/temp/scgi;
                            upstream tower {
                                server 127.0.0.1:%3$d;
                                keepalive 64;
                                keepalive_requests 100000;
                            }
                            server {
                                listen 127.0.0.1:%2$d ssl http2;
                                ssl_certificate %4$s/cert.pem;
                                ssl_certificate_key %4$s/key.pem;
                                location / {
                                    proxy_pass http://tower;
                                    proxy_http_version 1.1;
                                    proxy_set_header Connection "";
                                    proxy_set_header Host $http_host;
                                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                                    proxy_set_header X-Forwarded-Proto $scheme;
                                    proxy_buffers 16 8k;
                                }
                            }
                        }
                        """.formatted(dir, port, backend, certDir));
                return List.of("/usr/sbin/nginx", "-p", dir.toString(), "-c", file.toString());
            });
            case "haproxy" -> new Tls("haproxy", Files.isExecutable(Path.of("/usr/sbin/haproxy")), (dir, port, backend) -> {
                Path file = dir.resolve("haproxy.cfg");
                Files.writeString(file, """
                        global
                            nbthread 2
                            maxconn 4096
                        defaults
                            mode http
                            option http-keep-alive
                            option forwardfor
                            timeout connect 10s
                            timeout client 75s
                            timeout server 60s
                            http-reuse safe
                        frontend tower_in
                            bind 127.0.0.1:%1$d ssl crt %3$s/both.pem alpn h2,http/1.1
                            http-request set-header X-Forwarded-Proto https
                            default_backend tower
                        backend tower
                            server tower1 127.0.0.1:%2$d
                        """.formatted(port, backend, certDir));
                return List.of("/usr/sbin/haproxy", "-db", "-f", file.toString());
            });
            default -> throw new IllegalArgumentException(name + " has no HTTP/2 setup here");
        };
    }

    /** Writes a config into the run's directory and gives the command. */
    interface Config {
        List<String> write(Path dir, int port, int backendPort) throws IOException;
    }

    private record Tls(String name, boolean available, Config config) implements ProxySetup {
        @Override
        public List<String> command(Path dir, int port, int backendPort) throws IOException {
            Files.createDirectories(dir);
            return config.write(dir, port, backendPort);
        }
    }
}
