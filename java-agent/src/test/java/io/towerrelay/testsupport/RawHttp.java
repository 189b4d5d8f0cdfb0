package io.towerrelay.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Byte-level HTTP/1.1 for tests that must control or see exactly what crosses the wire (header case, duplicates,
 * absolute-form, CONNECT, oversized or malformed heads, upgrade handshakes).
 */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * One response: the raw head as received, its headers by lower-case name (repeated names joined with ", ")
     * and the body.
     */
    public record Response(int status, String head, Map<String, String> headers, String body) {
    }

    /** Opens a connection, writes {@code request} as ISO-8859-1 bytes and reads one response. */
    public static Response exchange(InetSocketAddress address, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 10_000);
            socket.setSoTimeout(20_000);
            send(socket, request);
            return read(socket.getInputStream());
        }
    }

    public static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(bytes(text));
        socket.getOutputStream().flush();
    }

    public static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Reads a message head up to and including the empty line. */
    public static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside a head: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads one response (Content-Length or chunked; a test never relies on close-delimited answers here). */
    public static Response read(InputStream in) throws IOException {
        String head = head(in);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (;;) {
                int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                body.write(in.readNBytes(size));
                line(in);
            }
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        }
        return new Response(status, head, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** One line without its CRLF (or bare LF). */
    public static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed inside a line");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** The first value of header {@code name} in a raw head, or null. */
    public static String headerOf(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** A WebSocket-style upgrade request with the RFC 6455 sample key; {@code extra} are whole header lines. */
    public static String upgradeRequest(String path, String connection, String upgrade, String... extra) {
        StringBuilder request = new StringBuilder();
        request.append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: tower.example.test\r\n")
                .append("Connection: ").append(connection).append("\r\n")
                .append("Upgrade: ").append(upgrade).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        for (String header : extra) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    /** Sec-WebSocket-Accept for a key (RFC 6455 section 4.2.2). */
    public static String accept(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest(bytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** {@code 200 proxied <path>} for a request head. */
    public static byte[] plainAnswer(String requestHead) {
        String body = "proxied " + requestHead.split(" ")[1];
        return bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
    }

    /**
     * An upstream that answers each connection's first request head with bytes chosen by the test (all in one
     * write), then either closes or keeps the socket open, echoing whatever comes.
     */
    public static final class ScriptedUpstream implements AutoCloseable {
        private final ServerSocket socket;
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final Function<String, byte[]> answer;
        private final boolean keepOpen;

        public ScriptedUpstream(Function<String, byte[]> answer, boolean keepOpen) throws IOException {
            this.socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            this.answer = answer;
            this.keepOpen = keepOpen;
            Thread acceptor = new Thread(this::acceptLoop, "scripted-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        public URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        /** Request heads received so far, in arrival order. */
        public List<String> requests() {
            return requests;
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    Thread worker = new Thread(() -> serve(connection), "scripted-upstream-conn");
                    worker.setDaemon(true);
                    worker.start();
                } catch (IOException ex) {
                    return;
                }
            }
        }

        private void serve(Socket connection) {
            try (connection) {
                InputStream in = connection.getInputStream();
                OutputStream out = connection.getOutputStream();
                String request = head(in);
                requests.add(request);
                out.write(answer.apply(request));
                out.flush();
                if (keepOpen) {
                    in.transferTo(out);
                }
            } catch (IOException ignored) {
                // the test decides what a broken connection means
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
