package io.towerrelay.mock;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;

/** A Java-WebSocket client that records what the live-events socket sends. */
final class LiveEventsTestSocket extends WebSocketClient {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final AtomicInteger pings = new AtomicInteger();
    volatile int handshakeStatus;
    volatile String closeReason;
    volatile int closeCode;

    LiveEventsTestSocket(URI uri, Map<String, String> headers) {
        super(uri, headers);
        setConnectionLostTimeout(0); // the client must not ping: the test watches the server's pings
    }

    static LiveEventsTestSocket open(URI uri, Map<String, String> headers) throws InterruptedException {
        LiveEventsTestSocket socket = new LiveEventsTestSocket(uri, headers);
        socket.connectBlocking(20, TimeUnit.SECONDS);
        return socket;
    }

    /** The next message as JSON; fails the test when none comes within 20 s. */
    JsonNode next() throws Exception {
        String text = messages.poll(20, TimeUnit.SECONDS);
        if (text == null) {
            throw new AssertionError("no message within 20 s (open=" + isOpen() + ", close=" + closeCode + " " + closeReason + ")");
        }
        return Json.read(text);
    }

    /** Skips messages until one matches the predicate. */
    JsonNode nextWhere(java.util.function.Predicate<JsonNode> predicate) throws Exception {
        while (true) {
            JsonNode message = next();
            if (predicate.test(message)) {
                return message;
            }
        }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        handshakeStatus = handshake.getHttpStatus();
    }

    @Override
    public void onMessage(String message) {
        messages.add(message);
    }

    @Override
    public void onWebsocketPing(WebSocket conn, Framedata f) {
        pings.incrementAndGet();
        super.onWebsocketPing(conn, f);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closeCode = code;
        closeReason = reason;
    }

    @Override
    public void onError(Exception ex) {
        closeReason = String.valueOf(ex);
    }
}
