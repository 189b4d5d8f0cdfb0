package io.towerrelay.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Debian HAProxy, run in the foreground as a child process for a test, with the config text the test gives.
 * In it, {@code {{PORT0}}}, {@code {{PORT1}}}, ... become free loopback ports (the test binds its frontends to
 * them). {@code close()} stops it. Needs the Debian package {@code haproxy} (installed by scripts/test-env.sh).
 */
public final class HaproxyServer implements AutoCloseable {
    public static final Path HAPROXY = Path.of(System.getProperty("towerrelay.haproxy", "/usr/sbin/haproxy"));
    private static final int ATTEMPTS = 3;

    private final Process process;
    private final Path dir;
    private final List<Integer> ports;

    private HaproxyServer(Process process, Path dir, List<Integer> ports) {
        this.process = process;
        this.dir = dir;
        this.ports = ports;
    }

    /** Starts HAProxy with {@code config}, its {@code {{PORTn}}} placeholders (n < {@code portCount}) filled in. */
    public static HaproxyServer start(String config, int portCount) throws IOException, InterruptedException {
        if (!Files.isExecutable(HAPROXY)) {
            throw new IllegalStateException(HAPROXY + " not found: install Debian's haproxy (bash scripts/test-env.sh)");
        }
        Path dir = Files.createTempDirectory("haproxy-test-");
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            List<Integer> ports = new ArrayList<>();
            String text = config;
            for (int i = 0; i < portCount; i++) {
                int port = freePort();
                ports.add(port);
                text = text.replace("{{PORT" + i + "}}", Integer.toString(port));
            }
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, text);
            Process process = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("output.log").toFile()).start();
            try {
                for (int port : ports) {
                    waitUntilAccepting(process, dir, port);
                }
                return new HaproxyServer(process, dir, ports);
            } catch (IOException e) {
                stop(process);
                last = e;
                if (!output(dir).contains("Address already in use") && !output(dir).contains("cannot bind")) {
                    break;
                }
            }
        }
        throw last;
    }

    public int port(int index) {
        return ports.get(index);
    }

    /** HAProxy's own output (alerts, warnings): attach it to assertion messages. */
    public String output() {
        return output(dir);
    }

    @Override
    public void close() {
        stop(process);
    }

    private static void waitUntilAccepting(Process process, Path dir, int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("haproxy exited with " + process.exitValue() + ": " + output(dir));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException("haproxy did not accept on port " + port + ": " + output(dir));
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static String output(Path dir) {
        try {
            Path log = dir.resolve("output.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
