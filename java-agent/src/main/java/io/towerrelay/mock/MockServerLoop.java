package io.towerrelay.mock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mock's one I/O thread: a selector that accepts, parses HTTP/1.1 requests, answers them, hands
 * WebSocket upgrades on the live-events paths to Java-WebSocket, and runs the event and ping timers.
 * Everything that touches a connection runs here, so no connection state needs locking.
 */
final class MockServerLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(MockServerLoop.class);
    private static final int BACKLOG = 2048;
    private static final int MAX_BUFFER = HttpRequestParser.MAX_HEAD_BYTES + HttpRequestParser.MAX_BODY_BYTES + 64 * 1024;

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    private final MockTowerOptions options;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final TowerHttpApi api;
    private final LiveEvents liveEvents;
    private final Sessions sessions;
    private final Consumer<HttpRequest> requestLog;
    private final ArrayDeque<ClientConnection> writeDemand = new ArrayDeque<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private volatile boolean running = true;

    MockServerLoop(MockTowerOptions options, Sessions sessions, SystemSettings settings, Consumer<HttpRequest> requestLog)
            throws IOException {
        this.options = options;
        this.requestLog = requestLog;
        this.api = new TowerHttpApi(options, sessions, settings);
        this.liveEvents = new LiveEvents(this::demandWrite);
        this.sessions = sessions;
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(options.listen(), BACKLOG);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            server.close();
            selector.close();
            throw e;
        }
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    int openWebSockets() {
        return liveEvents.openSockets();
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        long interval = options.eventInterval().toNanos();
        long pingInterval = options.pingInterval().toNanos();
        // Check for silent sockets a few times per ping interval, at most once per second.
        long pingCheck = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(pingInterval / 4, TimeUnit.SECONDS.toNanos(1)));
        long nextTick = System.nanoTime() + interval;
        long nextPingCheck = System.nanoTime() + pingCheck;
        try {
            while (running) {
                long now = System.nanoTime();
                long due = options.pingsEnabled() ? Math.min(nextTick, nextPingCheck) : nextTick;
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(due - now));
                selector.select(waitMillis);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    handle(key);
                }
                now = System.nanoTime();
                if (now - nextTick >= 0) {
                    liveEvents.tick();
                    nextTick += interval;
                    if (now - nextTick >= 0) {
                        nextTick = now + interval; // fell behind (a busy machine): skip, never burst
                    }
                }
                if (options.pingsEnabled() && now - nextPingCheck >= 0) {
                    liveEvents.pingIdle(now, pingInterval);
                    nextPingCheck = now + pingCheck;
                }
                flushDemanded();
            }
            shutdown();
        } catch (IOException | RuntimeException e) {
            LOG.error("mock-tower I/O loop failed", e);
        } finally {
            closeQuietly();
        }
    }

    private void handle(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.isAcceptable()) {
            acceptAll();
            return;
        }
        ClientConnection connection = (ClientConnection) key.attachment();
        try {
            if (key.isReadable()) {
                read(connection);
            }
            if (!connection.closed && key.isValid() && key.isWritable()) {
                flush(connection);
            }
        } catch (IOException e) {
            LOG.debug("connection from {}: {}", connection.peer, e.toString());
            abort(connection);
        }
    }

    private void acceptAll() {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.toString());
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
                ClientConnection connection = new ClientConnection(channel, key);
                key.attach(connection);
            } catch (IOException e) {
                LOG.debug("could not set up an accepted connection: {}", e.toString());
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    private void read(ClientConnection connection) throws IOException {
        if (connection.live != null) {
            readBuffer.clear();
            int n = connection.channel.read(readBuffer);
            if (n < 0) {
                connection.live.webSocket.eot();
                abort(connection);
                return;
            }
            if (n > 0) {
                readBuffer.flip();
                // Java-WebSocket keeps partial frames itself; hand it a copy it may hold on to.
                ByteBuffer copy = ByteBuffer.allocate(n).put(readBuffer).flip();
                connection.live.webSocket.decode(copy);
            }
            return;
        }
        if (!connection.in.hasRemaining()) {
            if (connection.in.capacity() >= MAX_BUFFER) {
                respondAndClose(connection, HttpResponse.text(413, "mock-tower: request too large"));
                return;
            }
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_BUFFER, connection.in.capacity() * 2));
            connection.in.flip();
            bigger.put(connection.in);
            connection.in = bigger;
        }
        int n = connection.channel.read(connection.in);
        if (n < 0) {
            // The client finished sending: answer what is complete, then close.
            processRequests(connection);
            connection.closeWhenFlushed = true;
            connection.key.interestOps(connection.key.interestOps() & ~SelectionKey.OP_READ);
            demandWrite(connection);
            return;
        }
        processRequests(connection);
    }

    /** Answers every complete request in the buffer (pipelining keeps order: one thread, one queue). */
    private void processRequests(ClientConnection connection) {
        ByteBuffer in = connection.in;
        in.flip();
        try {
            while (!connection.closeWhenFlushed && connection.live == null && in.hasRemaining()) {
                HttpRequestParser.Result result = HttpRequestParser.parse(in, connection.peer);
                if (result instanceof HttpRequestParser.Incomplete incomplete) {
                    if (incomplete.awaitsContinue() && !connection.continueSent) {
                        connection.continueSent = true;
                        connection.out.add(ByteBuffer.wrap(CONTINUE.clone()));
                        demandWrite(connection);
                    }
                    break;
                }
                if (result instanceof HttpRequestParser.Failed failed) {
                    LOG.debug("bad request from {}: {}", connection.peer, failed.reason());
                    respondAndClose(connection, HttpResponse.text(failed.status(), "mock-tower: " + failed.reason()));
                    in.position(in.limit());
                    break;
                }
                HttpRequestParser.Parsed parsed = (HttpRequestParser.Parsed) result;
                HttpRequest request = parsed.request();
                connection.continueSent = false;
                requestLog.accept(request);
                int headStart = in.position();
                in.position(headStart + parsed.consumed());
                if (LiveEventsHandshake.PATHS.contains(request.path())) {
                    LiveEventsHandshake.Handshake handshake = LiveEventsHandshake.check(request, sessions);
                    if (handshake instanceof LiveEventsHandshake.Accepted accepted) {
                        upgrade(connection, accepted.session(), in, headStart, parsed.headLength());
                        break;
                    }
                    respond(connection, request, ((LiveEventsHandshake.Refused) handshake).response());
                } else {
                    respond(connection, request, api.handle(request));
                }
            }
        } finally {
            in.compact();
        }
    }

    /** Gives Java-WebSocket the handshake head plus any bytes the client sent right after it. */
    private void upgrade(ClientConnection connection, Sessions.Session session, ByteBuffer in, int headStart, int headLength) {
        ByteBuffer raw = ByteBuffer.allocate(headLength + in.remaining());
        raw.put(in.duplicate().position(headStart).limit(headStart + headLength));
        raw.put(in);
        raw.flip();
        connection.in = ByteBuffer.allocate(0);
        LOG.debug("websocket upgrade from {}", connection.peer);
        liveEvents.open(connection, session, raw);
    }

    private void respond(ClientConnection connection, HttpRequest request, HttpResponse response) {
        boolean keepAlive = request.keepAlive();
        connection.out.add(response.encode(keepAlive, request.methodUpperCase().equals("HEAD")));
        if (!keepAlive) {
            connection.closeWhenFlushed = true;
        }
        demandWrite(connection);
    }

    private void respondAndClose(ClientConnection connection, HttpResponse response) {
        connection.out.add(response.encode(false, false));
        connection.closeWhenFlushed = true;
        demandWrite(connection);
    }

    private void demandWrite(ClientConnection connection) {
        if (!connection.writeQueued) {
            connection.writeQueued = true;
            writeDemand.add(connection);
        }
    }

    private void flushDemanded() {
        ClientConnection connection;
        while ((connection = writeDemand.poll()) != null) {
            connection.writeQueued = false;
            if (connection.closed) {
                continue;
            }
            try {
                flush(connection);
            } catch (IOException e) {
                LOG.debug("connection from {}: {}", connection.peer, e.toString());
                abort(connection);
            }
        }
    }

    /** Writes what is queued; waits for OP_WRITE when the socket is full; closes when asked and done. */
    private void flush(ClientConnection connection) throws IOException {
        boolean drained = connection.live != null
                ? writeAll(connection, connection.live.webSocket.outQueue)
                : writeAll(connection, connection.out);
        if (!drained) {
            connection.key.interestOps(connection.key.interestOps() | SelectionKey.OP_WRITE);
            return;
        }
        if (connection.key.isValid()) {
            connection.key.interestOps(connection.key.interestOps() & ~SelectionKey.OP_WRITE);
        }
        if (connection.live != null && connection.live.webSocket.isFlushAndClose()) {
            // Java-WebSocket finished its closing handshake: the server closes TCP first (RFC 6455 7.1.1).
            connection.live.webSocket.closeConnection();
            connection.closeChannel();
        } else if (connection.closeWhenFlushed) {
            connection.closeChannel();
        }
    }

    private static boolean writeAll(ClientConnection connection, java.util.Queue<ByteBuffer> queue) throws IOException {
        ByteBuffer next;
        while ((next = queue.peek()) != null) {
            connection.channel.write(next);
            if (next.hasRemaining()) {
                return false;
            }
            queue.poll();
        }
        return true;
    }

    /** The peer went away or broke the connection: drop it without a goodbye. */
    private void abort(ClientConnection connection) {
        if (connection.live != null && !connection.live.webSocket.isClosed()) {
            connection.live.webSocket.closeConnection(1006, "connection lost");
        }
        connection.closeChannel();
    }

    /** Says goodbye to open WebSockets (1001) and gives their close frames a moment to go out. */
    private void shutdown() throws IOException {
        liveEvents.goingAway();
        flushDemanded();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (liveEvents.openSockets() > 0 && System.nanoTime() < deadline) {
            selector.select(50);
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                if (!key.isAcceptable()) {
                    handle(key);
                }
            }
            flushDemanded();
        }
    }

    private void closeQuietly() {
        for (SelectionKey key : new ArrayList<>(selector.keys())) {
            if (key.attachment() instanceof ClientConnection connection) {
                connection.closeChannel();
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
