package io.towerrelay.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP/1.1 server on loopback (the JDK's built-in one) standing in for Tower's web tier in proxy tests.
 * It records what arrived (headers, body digest) and which client connections were used.
 * <ul>
 *   <li>{@code /echo}: text lines {@code name: value} of the request as received, then method, path and body digest</li>
 *   <li>{@code /bytes?n=N[&fixed]}: N bytes of {@link #pattern}, chunked unless {@code fixed}</li>
 *   <li>{@code /slow?ms=M}: answers "slow done" after M milliseconds</li>
 * </ul>
 */
final class TestUpstream implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile Map<String, List<String>> lastHeaders = Map.of();

    private TestUpstream(HttpServer server) {
        this.server = server;
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    static TestUpstream http() throws IOException {
        return new TestUpstream(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64));
    }

    static TestUpstream https(SSLContext context) throws IOException {
        return https(context, InetAddress.getLoopbackAddress());
    }

    /** On another loopback address (127.0.0.2 ...), e.g. one the certificate does not name. */
    static TestUpstream https(SSLContext context, InetAddress bind) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(bind, 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        return new TestUpstream(server);
    }

    URI uri() {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
    }

    URI uri(String host) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://" + host + ":" + server.getAddress().getPort());
    }

    /** How many distinct TCP connections have carried requests. */
    int connectionsUsed() {
        return clientPorts.size();
    }

    int requestsSeen() {
        return requests.get();
    }

    /** Headers of the last request, names lower-cased. */
    Map<String, List<String>> lastHeaders() {
        return lastHeaders;
    }

    /** The byte at {@code index} of every test body: a fixed, non-repeating-looking sequence. */
    static byte pattern(long index) {
        long x = index * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56 ^ x >>> 29);
    }

    static String digestOfPattern(long n) {
        MessageDigest digest = sha256();
        byte[] block = new byte[65536];
        for (long offset = 0; offset < n; offset += block.length) {
            int len = (int) Math.min(block.length, n - offset);
            for (int i = 0; i < len; i++) {
                block[i] = pattern(offset + i);
            }
            digest.update(block, 0, len);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        clientPorts.add(exchange.getRemoteAddress().getPort());
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
        lastHeaders = headers;
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        try (exchange) {
            switch (path) {
                case "/echo" -> echo(exchange, headers);
                case "/bytes" -> bytes(exchange, query);
                case "/slow" -> slow(exchange, query);
                default -> {
                    byte[] body = ("no such path " + path + "\n").getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(404, body.length);
                    exchange.getResponseBody().write(body);
                }
            }
        }
    }

    private static void echo(HttpExchange exchange, Map<String, List<String>> headers) throws IOException {
        MessageDigest digest = sha256();
        long length = 0;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                length += n;
            }
        }
        StringBuilder text = new StringBuilder();
        headers.forEach((k, values) -> values.forEach(v -> text.append(k).append(": ").append(v).append('\n')));
        text.append("method=").append(exchange.getRequestMethod()).append('\n');
        text.append("target=").append(exchange.getRequestURI()).append('\n');
        text.append("body-length=").append(length).append('\n');
        text.append("body-sha256=").append(HexFormat.of().formatHex(digest.digest())).append('\n');
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().add("X-Upstream-Private", "hop");
        exchange.getResponseHeaders().add("Connection", "X-Upstream-Private");
        exchange.sendResponseHeaders(200, "HEAD".equals(exchange.getRequestMethod()) ? -1 : body.length);
        if (!"HEAD".equals(exchange.getRequestMethod())) {
            exchange.getResponseBody().write(body);
        }
    }

    private static void bytes(HttpExchange exchange, String query) throws IOException {
        long n = Long.parseLong(param(query, "n", "0"));
        boolean fixed = query != null && query.contains("fixed");
        exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Content-Length", Long.toString(n));
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, fixed ? n : 0);
        try (OutputStream out = exchange.getResponseBody()) {
            byte[] block = new byte[65536];
            for (long offset = 0; offset < n; offset += block.length) {
                int len = (int) Math.min(block.length, n - offset);
                for (int i = 0; i < len; i++) {
                    block[i] = pattern(offset + i);
                }
                out.write(block, 0, len);
            }
        }
    }

    private static void slow(HttpExchange exchange, String query) throws IOException {
        try {
            Thread.sleep(Long.parseLong(param(query, "ms", "1000")));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] body = "slow done\n".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    private static String param(String query, String name, String fallback) {
        if (query == null) {
            return fallback;
        }
        for (String part : query.split("&")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return fallback;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
