package io.towerrelay.tunnel;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;

/**
 * A real WebSocket server (Java-WebSocket) standing in for Tower's: echoes every message, and obeys a few
 * text commands ({@code close:CODE:REASON}, {@code abort}, {@code ping}) so tests can drive its side.
 */
final class EchoUpstream extends WebSocketServer {

    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    /**
     * Every handshake's fields, newest last (onOpen runs after the 101 is on its way to the client, so a test finds
     * its own by path: a handshake of an earlier test can still arrive after it).
     */
    private final java.util.Deque<Map<String, String>> handshakes = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final CountDownLatch started = new CountDownLatch(1);

    EchoUpstream(SSLContext tls) throws InterruptedException {
        super(new InetSocketAddress("127.0.0.1", 0), 2);
        setReuseAddr(true);
        setConnectionLostTimeout(0);
        if (tls != null) {
            setWebSocketFactory(new DefaultSSLWebSocketServerFactory(tls));
        }
        start();
        if (!started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("echo upstream did not start");
        }
    }

    URI uri(String scheme) {
        return URI.create(scheme + "://127.0.0.1:" + getPort());
    }

    /** The newest handshake for this path (with its query), or an empty map if none arrived. */
    Map<String, String> handshake(String path) {
        for (var it = handshakes.descendingIterator(); it.hasNext(); ) {
            Map<String, String> fields = it.next();
            if (path.equals(fields.get(":path"))) {
                return fields;
            }
        }
        return Map.of();
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        Map<String, String> fields = new HashMap<>();
        for (var it = handshake.iterateHttpFields(); it.hasNext(); ) {
            String name = it.next();
            fields.put(name.toLowerCase(), handshake.getFieldValue(name));
        }
        fields.put(":path", handshake.getResourceDescriptor());
        handshakes.add(fields);
        events.add("open " + handshake.getResourceDescriptor());
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        if (message.startsWith("close:")) {
            String[] parts = message.split(":", 3);
            conn.close(Integer.parseInt(parts[1]), parts[2]);
        } else if (message.equals("abort")) {
            conn.closeConnection(1006, "test aborts");
        } else if (message.equals("ping")) {
            conn.sendPing();
        } else {
            conn.send(message);
        }
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        conn.send(message);
    }

    @Override
    public void onWebsocketPong(WebSocket conn, Framedata f) {
        events.add("pong");
    }

    /**
     * The peer's close frame as received. (Its onClose can report 1006 instead when the client drops TCP right
     * after the closing handshake: a race inside Java-WebSocket's server, seen without any relay in between.)
     */
    @Override
    public void onClosing(WebSocket conn, int code, String reason, boolean remote) {
        events.add("closing " + code + " " + reason + " remote=" + remote);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        events.add("close " + code + " " + reason + " remote=" + remote);
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        events.add("error " + ex);
    }

    void shutdown() throws InterruptedException {
        try {
            stop(1000);
        } catch (java.nio.channels.ClosedSelectorException ignored) {
            // Java-WebSocket closing its connections after its selector: nothing left to stop
        }
    }
}
