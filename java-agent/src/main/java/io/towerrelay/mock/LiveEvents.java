package io.towerrelay.mock;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.Handshakedata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AWX's live-events WebSocket (Django Channels' EventConsumer behind Daphne): handshake checks, the
 * {@code xrftoken} + {@code groups} subscription, and the job events and status messages it streams.
 * Java-WebSocket does all framing; this class is its listener and runs on the server's I/O thread.
 */
final class LiveEvents extends WebSocketAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(LiveEvents.class);
    /** A client that has this many frames unread gets no further events until it catches up. */
    private static final int MAX_QUEUED_FRAMES = 256;

    /**
     * AWX's greeting, in its key order. Made when the server starts, like the draft below: their first
     * use loads Jackson and seeds a SecureRandom, which took over a second on a busy machine and made
     * the first handshake miss a proxy's 1 s timeout.
     */
    private static final String ACCEPT = acceptMessage();

    private final Consumer<ClientConnection> writeDemand;
    /** Copied for each socket by Java-WebSocket. */
    private final List<Draft> drafts = List.of(new Draft_6455());
    private final Set<LiveSocket> open = new LinkedHashSet<>();
    /** {@code open.size()} for other threads. */
    private final AtomicInteger openCount = new AtomicInteger();

    LiveEvents(Consumer<ClientConnection> writeDemand) {
        this.writeDemand = writeDemand;
    }

    /** Hands an accepted connection to Java-WebSocket, which answers the handshake from {@code rawHandshake}. */
    LiveSocket open(ClientConnection connection, Sessions.Session session, java.nio.ByteBuffer rawHandshake) {
        WebSocketImpl webSocket = new WebSocketImpl(this, drafts);
        LiveSocket socket = new LiveSocket(connection, webSocket, session);
        webSocket.setAttachment(socket);
        connection.live = socket;
        webSocket.decode(rawHandshake);
        return socket;
    }

    /** Open WebSockets; safe to call from any thread. */
    int openSockets() {
        return openCount.get();
    }

    // ---- Java-WebSocket callbacks (I/O thread) ----

    @Override
    public void onWebsocketOpen(WebSocket conn, Handshakedata handshake) {
        LiveSocket socket = conn.getAttachment();
        open.add(socket);
        openCount.set(open.size());
        LOG.debug("websocket open from {}", socket.connection.peer);
        sendText(socket, ACCEPT);
    }

    @Override
    public void onWebsocketMessage(WebSocket conn, String text) {
        LiveSocket socket = conn.getAttachment();
        socket.lastActivityNanos = System.nanoTime();
        JsonNode message;
        try {
            message = Json.read(text);
        } catch (IOException e) {
            send(socket, Map.of("error", "invalid JSON"));
            return;
        }
        if (message == null || !message.isObject()) {
            send(socket, Map.of("error", "invalid JSON"));
            return;
        }
        JsonNode token = message.get("xrftoken");
        if (token == null || !token.isTextual() || !token.asText().equals(socket.session.csrfToken)) {
            send(socket, Map.of("error", "access denied to channel"));
            return;
        }
        JsonNode groups = message.get("groups");
        if (groups != null) {
            subscribe(socket, groups);
        }
    }

    @Override
    public void onWebsocketMessage(WebSocket conn, java.nio.ByteBuffer bytes) {
        LiveSocket socket = conn.getAttachment();
        socket.lastActivityNanos = System.nanoTime();
        send(socket, Map.of("error", "binary messages are not supported"));
    }

    @Override
    public void onWebsocketPing(WebSocket conn, Framedata frame) {
        ((LiveSocket) conn.getAttachment()).lastActivityNanos = System.nanoTime();
        super.onWebsocketPing(conn, frame);
    }

    @Override
    public void onWebsocketPong(WebSocket conn, Framedata frame) {
        ((LiveSocket) conn.getAttachment()).lastActivityNanos = System.nanoTime();
    }

    @Override
    public void onWebsocketClose(WebSocket conn, int code, String reason, boolean remote) {
        LiveSocket socket = conn.getAttachment();
        open.remove(socket);
        openCount.set(open.size());
        LOG.debug("websocket from {} closed: {} {}", socket.connection.peer, code, reason);
        socket.connection.closeChannel();
    }

    @Override
    public void onWebsocketClosing(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onWebsocketCloseInitiated(WebSocket conn, int code, String reason) {}

    @Override
    public void onWebsocketError(WebSocket conn, Exception ex) {
        LiveSocket socket = conn.getAttachment();
        LOG.debug("websocket from {}: {}", socket == null ? "?" : socket.connection.peer, ex.toString());
    }

    @Override
    public void onWriteDemand(WebSocket conn) {
        LiveSocket socket = conn.getAttachment();
        writeDemand.accept(socket.connection);
    }

    @Override
    public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
        return ((LiveSocket) conn.getAttachment()).connection.local;
    }

    @Override
    public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
        return ((LiveSocket) conn.getAttachment()).connection.peer;
    }

    // ---- subscription and streaming ----

    /** A {@code groups} message replaces the whole subscription, as AWX's consumer does. */
    private void subscribe(LiveSocket socket, JsonNode groups) {
        if (!groups.isObject()) {
            send(socket, Map.of("error", "groups must be an object of group name to list"));
            return;
        }
        Set<String> wanted = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = groups.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isArray()) {
                send(socket, Map.of("error", "groups must be an object of group name to list"));
                return;
            }
            for (JsonNode value : entry.getValue()) {
                wanted.add(entry.getKey() + "-" + value.asText());
            }
        }
        Set<String> left = new TreeSet<>(socket.groups);
        left.removeAll(wanted);
        Set<String> joined = new TreeSet<>(wanted);
        joined.removeAll(socket.groups);
        socket.groups = wanted;
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("groups_current", List.copyOf(wanted));
        reply.put("groups_left", List.copyOf(left));
        reply.put("groups_joined", List.copyOf(joined));
        send(socket, reply);
        if (joined.contains("jobs-status_changed")) {
            // The job is already running when a viewer arrives: tell it the current status.
            for (int jobId : subscribedJobs(socket)) {
                send(socket, statusChanged(jobId, "running"));
            }
            if (subscribedJobs(socket).isEmpty()) {
                send(socket, statusChanged(1, "running"));
            }
        }
    }

    /**
     * One step of every watched job: each socket gets the next event of each job it subscribed to,
     * unless it has {@value #MAX_QUEUED_FRAMES} frames unread; then its output pauses (nothing is
     * dropped) until it catches up, and the other sockets go on.
     */
    void tick() {
        for (LiveSocket socket : open) {
            if (!socket.webSocket.isOpen() || socket.queuedFrames() >= MAX_QUEUED_FRAMES) {
                continue;
            }
            for (int jobId : subscribedJobs(socket)) {
                JobRun run = socket.runs.computeIfAbsent(jobId, socket.session::resume);
                sendText(socket, Json.write(run.next()));
                socket.session.progressed(run);
            }
        }
    }

    /** Daphne's keep-alive: a ping frame on any socket silent for the ping interval. */
    void pingIdle(long nowNanos, long pingIntervalNanos) {
        for (LiveSocket socket : open) {
            if (socket.webSocket.isOpen() && nowNanos - socket.lastActivityNanos >= pingIntervalNanos) {
                socket.webSocket.sendPing();
                socket.lastActivityNanos = nowNanos;
            }
        }
    }

    /** Closes every socket with 1001 (going away), as a server that shuts down does. */
    void goingAway() {
        for (LiveSocket socket : new ArrayList<>(open)) {
            socket.webSocket.close(1001, "mock-tower is shutting down");
        }
    }

    private static String acceptMessage() {
        Map<String, Object> accept = new LinkedHashMap<>();
        accept.put("accept", true);
        accept.put("user", 1);
        return Json.write(accept);
    }

    private static List<Integer> subscribedJobs(LiveSocket socket) {
        List<Integer> jobs = new ArrayList<>();
        for (String group : socket.groups) {
            if (group.startsWith("job_events-")) {
                try {
                    jobs.add(Integer.parseInt(group.substring("job_events-".length())));
                } catch (NumberFormatException e) {
                    // AWX would never produce events for a group that names no job; neither do we.
                }
            }
        }
        return jobs;
    }

    private static Map<String, Object> statusChanged(int jobId, String status) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("group_name", "jobs");
        message.put("unified_job_id", jobId);
        message.put("status", status);
        message.put("type", "job");
        return message;
    }

    private void send(LiveSocket socket, Object message) {
        sendText(socket, Json.write(message));
    }

    private void sendText(LiveSocket socket, String text) {
        if (socket.webSocket.isOpen()) {
            socket.webSocket.send(text);
            socket.lastActivityNanos = System.nanoTime();
        }
    }
}
