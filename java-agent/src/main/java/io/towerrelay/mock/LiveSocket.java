package io.towerrelay.mock;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.java_websocket.WebSocketImpl;

/** One open WebSocket and what it subscribed to. Touched only by the server's I/O thread. */
final class LiveSocket {
    final ClientConnection connection;
    final WebSocketImpl webSocket;
    final Sessions.Session session;
    /** AWX group names, e.g. {@code jobs-status_changed}, {@code job_events-1}. */
    Set<String> groups = new TreeSet<>();
    long lastActivityNanos = System.nanoTime();
    /** This socket's position in each job it watches: a slow reader pauses only its own output. */
    final Map<Integer, JobRun> runs = new HashMap<>();

    LiveSocket(ClientConnection connection, WebSocketImpl webSocket, Sessions.Session session) {
        this.connection = connection;
        this.webSocket = webSocket;
        this.session = session;
    }

    /** Frames waiting to be written: a client that does not read pauses its job output. */
    int queuedFrames() {
        return webSocket.outQueue.size();
    }
}
