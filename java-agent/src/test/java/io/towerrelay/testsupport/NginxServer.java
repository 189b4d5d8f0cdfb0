package io.towerrelay.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Debian NGINX, run as a child process for a test: its own prefix directory (config, logs, temp
 * files, pid), a free loopback port, the server blocks the test gives. {@code close()} stops it.
 *
 * <p>In the server-block text, {@code {{PORT}}} becomes the chosen port and {@code {{PREFIX}}} the
 * prefix directory (where {@link #start(String, Map)} also writes extra files such as certificates):
 *
 * <pre>{@code
 * try (NginxServer nginx = NginxServer.start("""
 *         server {
 *             listen 127.0.0.1:{{PORT}};
 *             location / { proxy_pass http://127.0.0.1:%d; }
 *         }
 *         """.formatted(tower.address().getPort()))) {
 *     URI page = URI.create(nginx.baseUrl() + "/");
 * }
 * }</pre>
 *
 * Needs the Debian package {@code nginx} ({@code apt-get install -y nginx}); the test fails with that
 * advice when the binary is missing.
 */
public final class NginxServer implements AutoCloseable {

    public static final Path NGINX = Path.of(System.getProperty("towerrelay.nginx", "/usr/sbin/nginx"));
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final int ATTEMPTS = 3;

    private final Process process;
    private final Path prefix;
    private final int port;

    private NginxServer(Process process, Path prefix, int port) {
        this.process = process;
        this.prefix = prefix;
        this.port = port;
    }

    /** Starts NGINX with these {@code server { ... }} blocks inside its {@code http} block. */
    public static NginxServer start(String serverBlocks) throws IOException, InterruptedException {
        return start(serverBlocks, Map.of());
    }

    /** As {@link #start(String)}, first writing {@code files} (name relative to the prefix -> content) into the prefix. */
    public static NginxServer start(String serverBlocks, Map<String, byte[]> files) throws IOException, InterruptedException {
        if (!Files.isExecutable(NGINX)) {
            throw new IllegalStateException(NGINX + " not found: install Debian's nginx (apt-get install -y nginx)");
        }
        Path prefix = Files.createTempDirectory("nginx-test-");
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path target = prefix.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.write(target, file.getValue());
        }
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("tmp"));
        IOException lastFailure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            // Another test may grab the port between our probe and NGINX's bind: then try another one.
            int port = freePort();
            Path conf = prefix.resolve("nginx.conf");
            Files.writeString(conf, config(prefix, port, serverBlocks));
            ProcessBuilder builder = new ProcessBuilder(
                    NGINX.toString(), "-p", prefix + "/", "-c", conf.toString(), "-e", prefix.resolve("logs/error.log").toString(),
                    "-g", "daemon off; master_process on; pid " + prefix.resolve("nginx.pid") + ";");
            builder.redirectErrorStream(true);
            builder.redirectOutput(prefix.resolve("logs/stdout.log").toFile());
            Process process = builder.start();
            try {
                waitUntilAccepting(process, prefix, port);
                return new NginxServer(process, prefix, port);
            } catch (IOException e) {
                stop(process);
                lastFailure = e;
                if (!read(prefix.resolve("logs/error.log")).contains("Address already in use")) {
                    break;
                }
            }
        }
        throw lastFailure;
    }

    /** The configuration around the test's server blocks: everything inside the prefix, one worker. */
    private static String config(Path prefix, int port, String serverBlocks) {
        String runAs = "root".equals(System.getProperty("user.name")) ? "user root;\n" : "";
        String p = prefix.toString();
        return runAs
                + "worker_processes 1;\n"
                + "error_log " + p + "/logs/error.log info;\n"
                + "events { worker_connections 4096; }\n"
                + "http {\n"
                + "  default_type application/octet-stream;\n"
                + "  access_log " + p + "/logs/access.log;\n"
                + "  client_body_temp_path " + p + "/tmp/client_body;\n"
                + "  proxy_temp_path " + p + "/tmp/proxy;\n"
                + "  fastcgi_temp_path " + p + "/tmp/fastcgi;\n"
                + "  uwsgi_temp_path " + p + "/tmp/uwsgi;\n"
                + "  scgi_temp_path " + p + "/tmp/scgi;\n"
                + serverBlocks.replace("{{PORT}}", Integer.toString(port)).replace("{{PREFIX}}", p)
                + "\n}\n";
    }

    private static void waitUntilAccepting(Process process, Path prefix, int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("nginx exited with " + process.exitValue() + " before accepting on port " + port
                        + ": " + read(prefix.resolve("logs/error.log")).strip() + read(prefix.resolve("logs/stdout.log")).strip());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException("nginx did not accept on port " + port + " within " + STARTUP.toSeconds() + " s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** {@code http://127.0.0.1:PORT} (no trailing slash). */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public Path prefix() {
        return prefix;
    }

    /** The error log so far (startup problems, upstream errors): attach it to assertion messages. */
    public String errorLog() {
        return read(prefix.resolve("logs/error.log"));
    }

    public String accessLog() {
        return read(prefix.resolve("logs/access.log"));
    }

    public String configText() {
        return read(prefix.resolve("nginx.conf"));
    }

    /** Stops NGINX (SIGTERM: fast shutdown) and waits for it; the prefix stays for post-mortems. */
    @Override
    public void close() {
        stop(process);
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "nginx on " + baseUrl() + " (prefix " + prefix + ")";
    }

}
