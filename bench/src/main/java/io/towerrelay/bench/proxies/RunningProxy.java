package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A target the load goes to: a proxy process started by the harness, or the backend itself ("direct").
 * Starting measures the time from spawning the process to the first accepted TCP connection and to the first
 * proxied answer (GET /api/v2/ping/ -> 200 from the backend).
 */
public final class RunningProxy implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final InetSocketAddress address;
    private final Process process;
    private final Path log;
    private final double acceptMillis;
    private final double firstResponseMillis;

    private RunningProxy(String name, InetSocketAddress address, Process process, Path log, double acceptMillis,
                         double firstResponseMillis) {
        this.name = name;
        this.address = address;
        this.process = process;
        this.log = log;
        this.acceptMillis = acceptMillis;
        this.firstResponseMillis = firstResponseMillis;
    }

    /** The backend with nothing in front. */
    public static RunningProxy direct(int backendPort) {
        return new RunningProxy("direct", new InetSocketAddress("127.0.0.1", backendPort), null, null, 0, 0);
    }

    public static RunningProxy start(ProxySetup setup, Path dir, int backendPort) throws IOException, InterruptedException {
        return start(setup, dir, backendPort, false);
    }

    /** As {@link #start(ProxySetup, Path, int)}; with {@code tls} the proxy listens with TLS (any certificate). */
    public static RunningProxy start(ProxySetup setup, Path dir, int backendPort, boolean tls)
            throws IOException, InterruptedException {
        int port = Ports.free();
        List<String> command = setup.command(dir, port, backendPort);
        Path log = dir.resolve("output.log");
        long spawned = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        long deadline = spawned + START_TIMEOUT.toNanos();
        double accept = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(setup.name() + " exited with " + process.exitValue() + ": " + tail(log));
            }
            if (accept < 0) {
                try (Socket s = new Socket()) {
                    s.connect(address, 100);
                    accept = (System.nanoTime() - spawned) / 1e6;
                } catch (IOException notYet) {
                    Thread.sleep(0, 200_000);
                    continue;
                }
            }
            if (tls ? tlsPing(address) : ping(address)) {
                double first = (System.nanoTime() - spawned) / 1e6;
                return new RunningProxy(setup.name(), address, process, log, accept, first);
            }
            Thread.sleep(1);
        }
        process.destroyForcibly();
        throw new IOException(setup.name() + " did not answer on " + address + " within " + START_TIMEOUT + ": " + tail(log));
    }

    /** One HTTP/1.1 request on a fresh connection; true on a 200 (the backend's ping through the proxy). */
    static boolean ping(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 500);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/v2/ping/ HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            return new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    /** {@link #ping} over TLS (HTTP/1.1 by ALPN, the benchmark's self-signed certificate trusted as is). */
    static boolean tlsPing(InetSocketAddress address) {
        try {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket()) {
                s.connect(address, 500);
                s.setSoTimeout(2000);
                javax.net.ssl.SSLParameters params = s.getSSLParameters();
                params.setApplicationProtocols(new String[] {"http/1.1"});
                s.setSSLParameters(params);
                OutputStream out = s.getOutputStream();
                out.write(("GET /api/v2/ping/ HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] head = s.getInputStream().readNBytes(12);
                return new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
            }
        } catch (IOException | java.security.GeneralSecurityException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    public boolean isDirect() {
        return process == null;
    }

    public double acceptMillis() {
        return acceptMillis;
    }

    public double firstResponseMillis() {
        return firstResponseMillis;
    }

    public long pid() {
        return process == null ? -1 : process.pid();
    }

    public ProcessTree.Memory memory() throws IOException {
        return process == null ? new ProcessTree.Memory(0, 0, 0) : ProcessTree.memory(process.pid());
    }

    /** CPU time of the proxy's processes so far; none for the direct connection. */
    public ProcessTree.Cpu cpu() throws IOException {
        return process == null ? new ProcessTree.Cpu(Map.of()) : ProcessTree.cpu(process.pid());
    }

    /** The proxy's own output (its error log goes to its directory). */
    public Path log() {
        return log;
    }

    /** SIGTERM, then SIGKILL to the whole tree after 10 s. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (process == null) {
            return;
        }
        List<Long> tree = ProcessTree.tree(process.pid());
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        for (long pid : tree) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (h.isAlive()) {
                    h.destroyForcibly();
                }
            });
        }
    }
}
