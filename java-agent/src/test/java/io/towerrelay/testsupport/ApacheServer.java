package io.towerrelay.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's real Apache httpd, run as a child process with a private ServerRoot and config, on a free
 * loopback port. The test gives the directives of the one virtual host; the fixture writes everything
 * else (modules, pid/lock/log files in a temp dir) so nothing of the system's /etc/apache2 is used.
 *
 * <pre>
 * try (ApacheServer apache = ApacheServer.start("""
 *         ProxyPreserveHost On
 *         ProxyPass / http://127.0.0.1:8052/ upgrade=websocket
 *         """)) {
 *     probe(apache.url());
 * }
 * </pre>
 */
public final class ApacheServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/sbin/apache2");
    private static final Path MODULES = Path.of("/usr/lib/apache2/modules");
    private static final List<String> MODULE_NAMES = List.of(
            "mpm_event", "authz_core", "headers", "rewrite", "proxy", "proxy_http", "proxy_wstunnel",
            "socache_shmcb", "ssl");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path root;
    private final int port;
    private final boolean tls;
    private final Process process;

    private ApacheServer(Path root, int port, boolean tls, Process process) {
        this.root = root;
        this.port = port;
        this.tls = tls;
        this.process = process;
    }

    /** Is Apache installed here? Tests skip (with this reason) when it is not. */
    public static boolean available() {
        return Files.isExecutable(BINARY) && Files.isDirectory(MODULES);
    }

    /** Starts Apache with a plain-HTTP virtual host made of {@code vhostDirectives}. */
    public static ApacheServer start(String vhostDirectives) throws IOException, InterruptedException {
        return start(vhostDirectives, false);
    }

    /**
     * @param vhostDirectives directives inside {@code <VirtualHost>}; {@code ${PORT}} is replaced by the port
     * @param tls             true when the directives turn on {@code SSLEngine} (only changes {@link #url()})
     */
    public static ApacheServer start(String vhostDirectives, boolean tls) throws IOException, InterruptedException {
        Path root = Files.createTempDirectory("apache-");
        int port = freePort();
        Path conf = root.resolve("httpd.conf");
        Files.writeString(conf, config(root, port, vhostDirectives.replace("${PORT}", String.valueOf(port))),
                StandardCharsets.UTF_8);
        Process check = new ProcessBuilder(BINARY.toString(), "-t", "-f", conf.toString())
                .redirectErrorStream(true).start();
        String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (check.waitFor() != 0) {
            throw new IllegalStateException("apache2 -t refused the test config:\n" + checkOutput
                    + "\n--- " + conf + " ---\n" + Files.readString(conf));
        }
        Process process = new ProcessBuilder(BINARY.toString(), "-f", conf.toString(), "-DFOREGROUND")
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("stdout.log").toFile())
                .start();
        ApacheServer server = new ApacheServer(root, port, tls, process);
        server.awaitListening();
        return server;
    }

    private static String config(Path root, int port, String vhost) {
        StringBuilder c = new StringBuilder();
        c.append("ServerRoot \"").append(root).append("\"\n");
        for (String module : MODULE_NAMES) {
            c.append("LoadModule ").append(module).append("_module ").append(MODULES.resolve("mod_" + module + ".so"))
                    .append('\n');
        }
        c.append("""
                ServerName 127.0.0.1
                Listen 127.0.0.1:%1$d
                PidFile "%2$s/httpd.pid"
                DefaultRuntimeDir "%2$s"
                Mutex file:%2$s default
                ErrorLog "%2$s/error.log"
                LogLevel warn proxy:info proxy_http:info
                LogFormat "%%h \\"%%r\\" %%>s %%b \\"%%{Host}i\\" \\"%%{Upgrade}i\\"" probe
                CustomLog "%2$s/access.log" probe
                User www-data
                Group www-data
                SSLSessionCache "shmcb:%2$s/ssl_scache(512000)"
                <VirtualHost 127.0.0.1:%1$d>
                %3$s
                </VirtualHost>
                """.formatted(port, root, vhost));
        return c.toString();
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("apache2 exited with " + process.exitValue() + ":\n" + logs());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        close();
        throw new IllegalStateException("apache2 did not listen on 127.0.0.1:" + port + " within " + START_TIMEOUT
                + ":\n" + logs());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** The page URL: http(s)://127.0.0.1:PORT/ */
    public URI url() {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port + "/");
    }

    /** error.log, stdout and access.log, for assertion messages. */
    public String logs() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("error.log", "stdout.log", "access.log")) {
            Path p = root.resolve(name);
            try {
                if (Files.exists(p)) {
                    out.append("--- ").append(name).append(" ---\n").append(Files.readString(p));
                }
            } catch (IOException e) {
                out.append("--- ").append(name).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public void close() throws InterruptedException {
        // SIGTERM: the parent stops its children and removes its pid file.
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
