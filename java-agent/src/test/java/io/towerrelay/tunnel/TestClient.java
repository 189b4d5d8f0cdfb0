package io.towerrelay.tunnel;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;

/** A real WebSocket client (Java-WebSocket) that records what happens to it. */
final class TestClient extends WebSocketClient {

    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    TestClient(URI uri, Map<String, String> headers, SSLContext tls) {
        super(uri, headers);
        setConnectionLostTimeout(0);
        if (tls != null) {
            setSocketFactory(tls.getSocketFactory());
        }
    }

    static TestClient connect(URI uri, SSLContext tls) throws InterruptedException {
        TestClient client = new TestClient(uri, Map.of(), tls);
        if (!client.connectBlocking(10, TimeUnit.SECONDS)) {
            throw new AssertionError("WebSocket did not open through the relay: " + client.events);
        }
        return client;
    }

    Object next() throws InterruptedException {
        Object message = received.poll(20, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no message within 20 s; events " + events);
        }
        return message;
    }

    String nextEvent() throws InterruptedException {
        String event = events.poll(20, TimeUnit.SECONDS);
        if (event == null) {
            throw new AssertionError("no event within 20 s");
        }
        return event;
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        events.add("open " + handshake.getHttpStatus());
    }

    @Override
    public void onMessage(String message) {
        received.add(message);
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        received.add(copy);
    }

    @Override
    public void onWebsocketPong(org.java_websocket.WebSocket conn, Framedata f) {
        events.add("pong");
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        events.add("close " + code + " " + reason + " remote=" + remote);
    }

    @Override
    public void onError(Exception ex) {
        events.add("error " + ex);
    }
}
