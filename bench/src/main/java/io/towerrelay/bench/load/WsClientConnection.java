package io.towerrelay.bench.load;

import io.towerrelay.bench.backend.JobEventFrames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One WebSocket of the load generator: writes the handshake, checks for 101, waits for AWX's accept message,
 * then on request sends the subscription and parses job-event frames. No per-frame allocation: frames are
 * parsed in the loop's read buffer and only an incomplete tail is kept here.
 */
final class WsClientConnection {

    private static final byte[] SUBSCRIBE_PAYLOAD =
            "{\"xrftoken\": \"bench\", \"groups\": {\"job_events\": [\"1\"]}}".getBytes(StandardCharsets.US_ASCII);

    enum State { CONNECTING, HANDSHAKE, OPEN, FAILED, CLOSED }

    private final WsClientLoop loop;
    private final SocketChannel channel;
    private final byte[] request;
    private SelectionKey key;
    private byte[] tail;
    private int tailLength;
    volatile State state = State.CONNECTING;   // volatile: WsLoad reads it from its thread to say what is stuck
    volatile boolean accepted;
    String failure;

    WsClientConnection(WsClientLoop loop, SocketChannel channel, String host, String path) {
        this.loop = loop;
        this.channel = channel;
        this.request = ("GET " + path + " HTTP/1.1\r\n"
                + "Host: " + host + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Origin: http://" + host + "\r\n"
                + "Cookie: awx_sessionid=bench; csrftoken=bench\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    boolean loopIs(WsClientLoop l) {
        return loop == l;
    }

    void registered(SelectionKey key) {
        this.key = key;
    }

    void connectable() throws IOException {
        channel.finishConnect();
        state = State.HANDSHAKE;
        writeFully(ByteBuffer.wrap(request));
        key.interestOps(SelectionKey.OP_READ);
    }

    /** Sends the subscription (a masked text frame, as every client must). */
    void subscribe() throws IOException {
        if (state != State.OPEN) {
            return;
        }
        byte[] mask = {0x12, 0x34, 0x56, 0x78};
        ByteBuffer frame = ByteBuffer.allocate(2 + 4 + SUBSCRIBE_PAYLOAD.length);
        frame.put((byte) 0x81).put((byte) (0x80 | SUBSCRIBE_PAYLOAD.length)).put(mask);
        for (int i = 0; i < SUBSCRIBE_PAYLOAD.length; i++) {
            frame.put((byte) (SUBSCRIBE_PAYLOAD[i] ^ mask[i & 3]));
        }
        frame.flip();
        writeFully(frame);
    }

    private void writeFully(ByteBuffer b) throws IOException {
        // Tiny writes on a fresh socket: the kernel takes them whole; a stuck write means a broken peer.
        for (int spins = 0; b.hasRemaining() && spins < 1000; spins++) {
            channel.write(b);
        }
        if (b.hasRemaining()) {
            throw new IOException("could not write " + b.remaining() + " bytes");
        }
    }

    /** Reads what is there; {@code buf} is the loop's shared read buffer. */
    void readable(ByteBuffer buf, long nowNanos) throws IOException {
        buf.clear();
        if (tailLength > 0) {
            buf.put(tail, 0, tailLength);
            tailLength = 0;
        }
        int n = channel.read(buf);
        if (n < 0) {
            fail(state == State.OPEN ? "closed by the server" : "closed during the handshake");
            return;
        }
        buf.flip();
        if (state == State.HANDSHAKE && !parseHead(buf)) {
            keepTail(buf);
            return;
        }
        parseFrames(buf, nowNanos);
        keepTail(buf);
    }

    private boolean parseHead(ByteBuffer buf) {
        int limit = buf.limit();
        for (int i = buf.position() + 3; i < limit; i++) {
            if (buf.get(i) == '\n' && buf.get(i - 1) == '\r' && buf.get(i - 2) == '\n' && buf.get(i - 3) == '\r') {
                byte[] statusLine = new byte[Math.min(12, i)];
                buf.get(buf.position(), statusLine);
                String status = new String(statusLine, StandardCharsets.US_ASCII);
                if (!status.startsWith("HTTP/1.1 101")) {
                    fail("handshake answered " + status);
                    return false;
                }
                buf.position(i + 1);
                state = State.OPEN;
                return true;
            }
        }
        return false;
    }

    private void parseFrames(ByteBuffer buf, long nowNanos) {
        while (buf.remaining() >= 2) {
            int start = buf.position();
            int b0 = buf.get(start) & 0xff;
            int b1 = buf.get(start + 1) & 0x7f;
            int header = 2;
            long len = b1;
            if (b1 == 126) {
                if (buf.remaining() < 4) {
                    return;
                }
                len = ((buf.get(start + 2) & 0xff) << 8) | (buf.get(start + 3) & 0xff);
                header = 4;
            } else if (b1 == 127) {
                if (buf.remaining() < 10) {
                    return;
                }
                len = buf.getLong(start + 2);
                header = 10;
            }
            if (buf.remaining() < header + len) {
                return;
            }
            int payload = start + header;
            int opcode = b0 & 0x0f;
            if (opcode == 0x1) {
                if (len > JobEventFrames.TS_OFFSET + JobEventFrames.TS_DIGITS && isEvent(buf, payload)) {
                    long ts = 0;
                    for (int i = 0; i < JobEventFrames.TS_DIGITS; i++) {
                        ts = ts * 10 + (buf.get(payload + JobEventFrames.TS_OFFSET + i) - '0');
                    }
                    loop.event(nowNanos - ts);
                } else if (!accepted) {
                    accepted = true;
                    loop.accepted();
                }
            } else if (opcode == 0x8) {
                fail("close frame from the server");
            }
            buf.position((int) (payload + len));
        }
    }

    private static boolean isEvent(ByteBuffer buf, int payload) {
        for (int i = 0; i < JobEventFrames.TS_PREFIX.length; i++) {
            if (buf.get(payload + i) != JobEventFrames.TS_PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    private void keepTail(ByteBuffer buf) throws IOException {
        int left = buf.remaining();
        if (left == 0) {
            return;
        }
        if (left > 8192) {
            throw new IOException("frame or head over 8 KiB");
        }
        if (tail == null || tail.length < left) {
            tail = new byte[8192];
        }
        buf.get(tail, 0, left);
        tailLength = left;
    }

    void fail(String why) {
        if (state == State.FAILED || state == State.CLOSED) {
            return;
        }
        boolean wasOpen = accepted;
        state = State.FAILED;
        failure = why;
        closeChannel();
        loop.failed(this, wasOpen);
    }

    void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeChannel();
    }

    private void closeChannel() {
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
