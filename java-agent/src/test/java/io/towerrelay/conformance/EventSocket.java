package io.towerrelay.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/** A live-events socket as Tower's UI opens it, recording what arrives (Java-WebSocket client). */
final class EventSocket extends WebSocketClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REFUSED_STATUS = Pattern.compile("Invalid status code received: (\\d+)");

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private volatile String closeReason = "";
    private volatile boolean closed;

    private EventSocket(URI uri, Map<String, String> headers) {
        super(uri, headers);
        // The client must send nothing on its own: the idle check needs a socket with no traffic.
        setConnectionLostTimeout(0);
    }

    /** Opens the socket; {@link #isOpen()} tells whether the handshake succeeded. */
    static EventSocket open(URI uri, Map<String, String> headers) throws InterruptedException {
        return open(uri, headers, null);
    }

    /** The same over TLS ({@code wss:}) with the given socket factory, offering only http/1.1 by ALPN. */
    static EventSocket open(URI uri, Map<String, String> headers, SocketFactory tls) throws InterruptedException {
        EventSocket socket = new EventSocket(uri, headers);
        if (tls != null) {
            socket.setSocketFactory(tls);
        }
        socket.connectBlocking(20, TimeUnit.SECONDS);
        return socket;
    }

    /**
     * Browsers open a WebSocket on a connection of its own, offering only http/1.1, unless the server
     * announced WebSockets over HTTP/2 (RFC 8441), which NGINX and Apache with the roles' configs do not.
     */
    @Override
    protected void onSetSSLParameters(SSLParameters parameters) {
        super.onSetSSLParameters(parameters);
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
    }

    /** The protocol the server chose by ALPN on this TLS socket ("" when it chose none). */
    String applicationProtocol() {
        return getSocket() instanceof SSLSocket ssl && ssl.getApplicationProtocol() != null
                ? ssl.getApplicationProtocol() : "";
    }

    /** Why the handshake failed, in the words a browser console would use. */
    String handshakeFailure() {
        Matcher m = REFUSED_STATUS.matcher(closeReason);
        return m.find() ? "handshake answered HTTP " + m.group(1) : "handshake failed: " + closeReason;
    }

    /** The next message, or null when none arrives within the timeout. */
    JsonNode next(long seconds) throws InterruptedException, IOException {
        String text = messages.poll(seconds, TimeUnit.SECONDS);
        return text == null ? null : JSON.readTree(text);
    }

    boolean wasClosed() {
        return closed;
    }

    String closeReason() {
        return closeReason;
    }

    @Override
    public void onOpen(ServerHandshake handshake) {}

    @Override
    public void onMessage(String message) {
        messages.add(message);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closed = true;
        closeReason = code + " " + reason;
    }

    @Override
    public void onError(Exception ex) {
        if (closeReason.isEmpty()) {
            closeReason = String.valueOf(ex.getMessage());
        }
    }
}
