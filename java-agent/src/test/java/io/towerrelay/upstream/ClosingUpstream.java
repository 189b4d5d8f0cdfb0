package io.towerrelay.upstream;

import io.towerrelay.testsupport.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A real HTTP/1.1 server on a loopback {@link ServerSocket} that behaves like an upstream with keep-alive turned
 * off but not saying so: it answers one request per connection, without {@code Connection: close}, and closes the
 * connection right after the answer. Whoever reuses such a connection races the close.
 * <ul>
 *   <li>{@code /drop...}: reads the request (and its body) and closes without answering: the connection failed
 *       after the request was sent</li>
 *   <li>{@code /once...}: like {@code /drop} the first time a request line is seen, answered after that</li>
 *   <li>{@code /keepalive...}: answers with {@code Keep-Alive: timeout=1} and keeps the connection open for more
 *       requests until it has been idle for 1.5 s, then closes it (an upstream whose keep-alive timeout passed)</li>
 *   <li>{@code /conn-close...}: answers with {@code Connection: close}, then keeps the socket open for 2 s
 *       before closing: only a client that honours the header avoids a hang or a failure</li>
 *   <li>anything else: {@code 200} with body {@code ok METHOD PATH}, then close</li>
 * </ul>
 */
final class ClosingUpstream implements AutoCloseable {
    private final ServerSocket socket;
    private final Map<String, AtomicInteger> requestsByLine = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();

    ClosingUpstream() throws IOException {
        this(null);
    }

    /** Over TLS with {@code tls}'s certificate when not null. */
    ClosingUpstream(SSLContext tls) throws IOException {
        socket = tls == null ? new ServerSocket(0, 512, InetAddress.getLoopbackAddress())
                : tls.getServerSocketFactory().createServerSocket(0, 512, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "closing-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI uri() {
        return URI.create((socket instanceof SSLServerSocket ? "https://localhost:" : "http://127.0.0.1:") + socket.getLocalPort());
    }

    /** How many times a request line ("POST /drop") arrived. */
    int received(String methodAndPath) {
        AtomicInteger n = requestsByLine.get(methodAndPath);
        return n == null ? 0 : n.get();
    }

    int connections() {
        return connections.get();
    }

    int requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.incrementAndGet();
                Thread worker = new Thread(() -> serve(connection), "closing-upstream-conn");
                worker.setDaemon(true);
                worker.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = connection.getInputStream();
            OutputStream out = connection.getOutputStream();
            while (true) {
                String head = RawHttp.head(in);
                String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
                String method = requestLine[0];
                String path = requestLine[1];
                readBody(in, head);
                requests.incrementAndGet();
                int seen = requestsByLine.computeIfAbsent(method + " " + path, k -> new AtomicInteger()).incrementAndGet();
                if (path.startsWith("/drop") || (path.startsWith("/once") && seen == 1)) {
                    return;
                }
                String body = "ok " + method + " " + path + "\n";
                String extra = "";
                if (path.startsWith("/keepalive")) {
                    extra = "Keep-Alive: timeout=1\r\n";
                } else if (path.startsWith("/conn-close")) {
                    extra = "Connection: close\r\n";
                }
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra + "Content-Length: " + body.length()
                        + "\r\n\r\n" + (method.equals("HEAD") ? "" : body)).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (path.startsWith("/keepalive")) {
                    connection.setSoTimeout(1500);
                    continue; // the next request on this connection, or a timeout that closes it
                }
                if (path.startsWith("/conn-close")) {
                    Thread.sleep(2000);
                }
                return;
            }
        } catch (IOException | InterruptedException e) {
            // closed by the peer, or the idle timeout of /keepalive: the connection ends here
        }
    }

    /** Request bodies in these tests carry Content-Length (the relay keeps a known length). */
    private static void readBody(InputStream in, String head) throws IOException {
        String length = RawHttp.headerOf(head, "Content-Length");
        if (length != null) {
            in.readNBytes(Integer.parseInt(length.trim()));
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
