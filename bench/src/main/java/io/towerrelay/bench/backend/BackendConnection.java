package io.towerrelay.bench.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;

/**
 * One client of the backend: HTTP/1.1 keep-alive requests until a WebSocket upgrade, then a job-events stream.
 * Runs on its loop's thread only.
 *
 * <p>WebSocket modes (query {@code mode=}): {@code flood} pushes frames whenever the socket takes them (TCP
 * backpressure is the only limit), {@code paced} sends one frame every {@code interval_us}, {@code idle} sends
 * nothing. Streaming starts when the client sends its first text frame (AWX's group subscription).
 */
final class BackendConnection {

    private static final byte[] ACCEPT = JobEventFrames.textFrame("{\"accept\": true, \"user\": 1}");
    private static final byte[] SUBSCRIBED = JobEventFrames.textFrame(
            "{\"groups_current\": {\"job_events\": [\"1\"]}, \"groups_left\": {}, \"groups_joined\": {\"job_events\": [\"1\"]}}");
    private static final byte[] CLOSE = {(byte) 0x88, 0};
    private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int STREAM_BUFFER = 16 * 1024;
    private static final int MAX_FILLS_PER_EVENT = 8;

    enum Mode { IDLE, FLOOD, PACED }

    private final BackendLoop loop;
    private final SocketChannel channel;
    private final SelectionKey key;
    private final ByteBuffer in = ByteBuffer.allocate(4096);
    private ByteBuffer pending;          // an HTTP response or the 101 head still being written
    private boolean closeAfterWrite;
    private boolean webSocket;
    private boolean streaming;
    private Mode mode = Mode.IDLE;
    private long intervalNanos;
    private long nextDueNanos;
    private long counter;
    private ByteBuffer stream;           // WebSocket output, read mode; allocated when streaming starts

    BackendConnection(BackendLoop loop, SocketChannel channel, SelectionKey key) {
        this.loop = loop;
        this.channel = channel;
        this.key = key;
    }

    void readable() throws IOException {
        int n = channel.read(in);
        if (n < 0) {
            close();
            return;
        }
        if (webSocket) {
            handleFrames();
        } else {
            handleRequests();
        }
    }

    void writable() throws IOException {
        if (pending != null) {
            channel.write(pending);
            if (pending.hasRemaining()) {
                return;
            }
            pending = null;
            if (closeAfterWrite) {
                close();
                return;
            }
            key.interestOps(SelectionKey.OP_READ);
            if (!webSocket) {
                handleRequests(); // pipelined requests that waited
                return;
            }
        }
        if (webSocket) {
            writeStream();
        }
    }

    private void handleRequests() throws IOException {
        while (pending == null && !webSocket) {
            int end = headEnd();
            if (end < 0) {
                if (!in.hasRemaining()) {
                    close(); // a head over 4 KiB: not something the benchmark sends
                }
                return;
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            in.flip().position(end + 4);
            in.compact();
            answer(head);
        }
    }

    private int headEnd() {
        byte[] a = in.array();
        for (int i = 3; i < in.position(); i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                return i - 3;
            }
        }
        return -1;
    }

    private void answer(String head) throws IOException {
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        String path = requestLine.length > 1 ? requestLine[1] : "/";
        boolean close = requestLine.length > 2 && requestLine[2].equals("HTTP/1.0");
        String upgrade = null;
        String wsKey = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "connection" -> {
                    String v = value.toLowerCase(Locale.ROOT);
                    if (v.contains("close")) {
                        close = true;
                    } else if (v.contains("keep-alive")) {
                        close = false;
                    }
                }
                case "upgrade" -> upgrade = value;
                case "sec-websocket-key" -> wsKey = value;
                default -> { }
            }
        }
        if (upgrade != null && upgrade.equalsIgnoreCase("websocket") && wsKey != null && path.contains("websocket")) {
            startWebSocket(path, wsKey);
            return;
        }
        closeAfterWrite = close;
        send(loop.responses().forPath(path, close));
    }

    private void startWebSocket(String path, String wsKey) throws IOException {
        webSocket = true;
        mode = Mode.IDLE;
        String query = path.indexOf('?') < 0 ? "" : path.substring(path.indexOf('?') + 1);
        for (String param : query.split("&")) {
            if (param.equals("mode=flood")) {
                mode = Mode.FLOOD;
            } else if (param.equals("mode=paced")) {
                mode = Mode.PACED;
            } else if (param.startsWith("interval_us=")) {
                intervalNanos = Long.parseLong(param.substring("interval_us=".length())) * 1000L;
            }
        }
        if (mode == Mode.PACED && intervalNanos <= 0) {
            intervalNanos = 1_000_000L;
        }
        String accept;
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            accept = Base64.getEncoder().encodeToString(sha1.digest((wsKey + WS_GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(head.length + ACCEPT.length);
        b.put(head).put(ACCEPT).flip();
        send(b);
        handleFrames(); // a client that sent its subscription right behind the handshake
    }

    private void send(ByteBuffer response) throws IOException {
        channel.write(response);
        if (response.hasRemaining()) {
            pending = response;
            key.interestOps(SelectionKey.OP_WRITE);
        } else if (closeAfterWrite) {
            close();
        }
    }

    /** Client frames are masked and small here: a subscription, a close, perhaps a ping. */
    private void handleFrames() throws IOException {
        while (in.position() >= 2) {
            byte[] a = in.array();
            int opcode = a[0] & 0x0f;
            int len = a[1] & 0x7f;
            int offset = 2;
            if (len == 126) {
                if (in.position() < 4) {
                    return;
                }
                len = ((a[2] & 0xff) << 8) | (a[3] & 0xff);
                offset = 4;
            } else if (len == 127) {
                close();
                return;
            }
            boolean masked = (a[1] & 0x80) != 0;
            int total = offset + (masked ? 4 : 0) + len;
            if (total > in.capacity()) {
                close();
                return;
            }
            if (in.position() < total) {
                return;
            }
            in.flip().position(total);
            in.compact();
            if (opcode == 0x8) {
                pending = null;
                closeAfterWrite = true;
                streaming = false;
                send(ByteBuffer.wrap(CLOSE));
                return;
            }
            if (opcode == 0x1 && !streaming) {
                startStreaming();
            }
        }
    }

    private void startStreaming() throws IOException {
        streaming = true;
        // Only a flood needs room for many frames: a paced socket gets room for one frame, an idle one the shared
        // message read-only. With 16 KiB for every socket, 9,800 idle WebSockets held 153 MiB of this process's
        // 256 MiB heap (old generation full, back-to-back full GCs), and in a full run a backend thread died of an
        // OutOfMemoryError while the first proxy of the memory phase held its sockets: the thread's share of the
        // next proxies' connections then waited for their 101 forever.
        stream = switch (mode) {
            case FLOOD -> ByteBuffer.allocate(STREAM_BUFFER).put(SUBSCRIBED).flip();
            case PACED -> ByteBuffer.allocate(Math.max(SUBSCRIBED.length, JobEventFrames.frameLength())).put(SUBSCRIBED).flip();
            case IDLE -> ByteBuffer.wrap(SUBSCRIBED).asReadOnlyBuffer();
        };
        if (mode == Mode.PACED) {
            nextDueNanos = System.nanoTime();
            loop.paced(this);
        }
        if (pending == null) {
            writeStream();
        }
    }

    /** Flood: refill and write until the socket pushes back (then wait for OP_WRITE), a few fills per event. */
    private void writeStream() throws IOException {
        if (stream == null || !channel.isOpen()) {
            return;
        }
        for (int fills = 0; fills < MAX_FILLS_PER_EVENT; fills++) {
            if (stream.hasRemaining()) {
                channel.write(stream);
                if (stream.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                    return;
                }
            }
            if (mode != Mode.FLOOD) {
                key.interestOps(SelectionKey.OP_READ);
                return;
            }
            stream.clear();
            long now = System.nanoTime();
            while (stream.remaining() >= JobEventFrames.frameLength()) {
                JobEventFrames.put(stream, ++counter, now);
            }
            stream.flip();
        }
        key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ); // more next round: let others go first
    }

    /** Paced mode: called by the loop on each tick; returns the time this connection is next due. */
    long tick(long now) throws IOException {
        if (!channel.isOpen()) {
            return Long.MAX_VALUE;
        }
        if (now < nextDueNanos || stream.hasRemaining()) {
            return stream.hasRemaining() ? now + intervalNanos : nextDueNanos;
        }
        stream.clear();
        JobEventFrames.put(stream, ++counter, System.nanoTime());
        stream.flip();
        channel.write(stream);
        if (stream.hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        }
        nextDueNanos += intervalNanos;
        if (nextDueNanos < now - 100 * intervalNanos) {
            nextDueNanos = now + intervalNanos; // fell far behind (a stalled proxy): do not burst to catch up
        }
        return nextDueNanos;
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    void close() {
        key.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        loop.closed(this);
    }
}
