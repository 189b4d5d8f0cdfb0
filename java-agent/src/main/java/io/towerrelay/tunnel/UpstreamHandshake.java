package io.towerrelay.tunnel;

import io.towerrelay.http.BodyDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * The I/O event handler of a fresh upstream session during the handshake. HttpCore5's client treats a 101 as
 * informational and would keep waiting, so the head is written and the answer parsed here: a 101 with
 * {@code Upgrade: websocket} becomes a {@link Tunnel} (bytes after the head included), anything else goes back
 * to the client as a normal response through {@link HandshakeExchange}.
 */
final class UpstreamHandshake implements IOEventHandler {

    /** Largest response head accepted from the upstream (NGINX's default large_client_header_buffers is 8k). */
    static final int MAX_HEAD = 32 * 1024;

    private enum State { WRITING, READING_HEAD, RELAYING_BODY, DONE }

    private final HandshakeExchange exchange;
    private final IOSession session;
    private final ByteBuffer request;
    private final Timeout handshakeTimeout;
    /** Slack above MAX_HEAD: TLS hands over whole records even while reading is paused. */
    static final int MAX_BUFFERED = MAX_HEAD + 32 * 1024;
    /**
     * A 101 head is a few hundred bytes: start small and grow (doubling, up to {@link #MAX_BUFFERED}) only for
     * a large answer. Allocating the maximum for every handshake was 64 KiB of garbage per WebSocket opened,
     * which grew the heap (and RSS) while thousands of sockets connected.
     */
    private static final int INITIAL = 4 * 1024;
    private ByteBuffer in = ByteBuffer.allocate(INITIAL);
    private State state = State.WRITING;
    private boolean endOfStream;
    private boolean readingPaused;
    private BodyDecoder decoder;
    private RelayedBody body;

    UpstreamHandshake(HandshakeExchange exchange, IOSession session, ByteBuffer request, Timeout handshakeTimeout) {
        this.exchange = exchange;
        this.session = session;
        this.request = request;
        this.handshakeTimeout = handshakeTimeout;
    }

    /** Plain upstream: the TCP connection is up. (For TLS, {@link #begin()} runs when the TLS handshake is done.) */
    @Override
    public void connected(IOSession ignored) throws IOException {
        begin();
    }

    void begin() throws IOException {
        session.setSocketTimeout(handshakeTimeout);
        writeRequest();
    }

    private void writeRequest() throws IOException {
        while (request.hasRemaining()) {
            if (session.write(request) <= 0) {
                session.setEventMask(SelectionKey.OP_WRITE);
                return;
            }
        }
        state = State.READING_HEAD;
        session.setEventMask(SelectionKey.OP_READ);
    }

    @Override
    public void inputReady(IOSession ignored, ByteBuffer src) throws IOException {
        if (src != null && src.hasRemaining()) {
            while (src.remaining() > in.remaining()) {
                if (!grow()) {
                    fail(502, "upstream sent more than can be buffered (" + MAX_BUFFERED + " bytes)");
                    return;
                }
            }
            in.put(src);
        }
        while (!endOfStream && (in.hasRemaining() || grow())) {
            int n = session.read(in);
            if (n < 0) {
                endOfStream = true;
            } else if (n == 0) {
                break;
            }
        }
        process();
    }

    /** Doubles the input buffer (fill mode), up to {@link #MAX_BUFFERED}; false when it is that large already. */
    private boolean grow() {
        if (in.capacity() >= MAX_BUFFERED) {
            return false;
        }
        ByteBuffer larger = ByteBuffer.allocate(Math.min(MAX_BUFFERED, in.capacity() * 2));
        in.flip();
        larger.put(in);
        in = larger;
        return true;
    }

    private void process() throws IOException {
        if (state == State.READING_HEAD) {
            readHead();
        }
        if (state == State.RELAYING_BODY) {
            relayBody();
        }
        if (state == State.DONE) {
            return;
        }
        if (endOfStream && state == State.READING_HEAD) {
            exchange.upstreamFailed(502, "upstream closed the connection without answering the WebSocket handshake");
            close();
        }
    }

    private void readHead() throws IOException {
        for (;;) {
            in.flip();
            HttpResponse head;
            try {
                head = MessageHeads.parseResponseHead(in);
            } catch (HttpException ex) {
                in.compact();
                exchange.upstreamFailed(502, "upstream sent a malformed response head: " + ex.getMessage());
                close();
                return;
            }
            if (head == null) {
                boolean full = in.remaining() >= MAX_HEAD;
                in.compact();
                if (full) {
                    exchange.upstreamFailed(502, "upstream response head exceeds " + MAX_HEAD + " bytes");
                    close();
                }
                return;
            }
            int code = head.getCode();
            if (code == 101) {
                in.compact();
                state = State.DONE;
                if (!UpgradeHeaders.hasWebSocketUpgrade(head)) {
                    exchange.upstreamFailed(502, "upstream switched to a protocol other than websocket");
                    close();
                    return;
                }
                in.flip();
                if (!exchange.tunnel(head, in)) {
                    close();
                }
                return;
            }
            if (code < 200) {
                in.compact();
                continue; // 100 Continue, 103 Early Hints: not for an upgrade handshake; wait for the real answer
            }
            in.compact();
            try {
                decoder = BodyDecoder.forResponse(head);
            } catch (HttpException ex) {
                exchange.upstreamFailed(502, "upstream answer unusable: " + ex.getMessage());
                close();
                return;
            }
            body = decoder.length() == 0 ? null : new RelayedBody(session);
            state = body == null ? State.DONE : State.RELAYING_BODY;
            exchange.relay(head, decoder.length(), body);
            if (body == null) {
                close();
            }
            return;
        }
    }

    private void relayBody() {
        in.flip();
        boolean pause = body.pump(in, decoder, endOfStream);
        in.compact();
        if (body.finished()) {
            state = State.DONE;
            close();
            return;
        }
        if (pause && !readingPaused) {
            readingPaused = true;
            session.clearEvent(SelectionKey.OP_READ);
        }
    }

    @Override
    public void outputReady(IOSession ignored) throws IOException {
        if (state == State.WRITING) {
            writeRequest();
            return;
        }
        session.clearEvent(SelectionKey.OP_WRITE);
        if (state == State.RELAYING_BODY) {
            // Woken by the client side: it has drained the body buffer.
            if (readingPaused) {
                readingPaused = false;
                session.setEvent(SelectionKey.OP_READ);
            }
            relayBody();
        }
    }

    @Override
    public void timeout(IOSession ignored, Timeout timeout) {
        if (state == State.RELAYING_BODY) {
            body.fail(new IOException("upstream timed out"));
        } else if (state != State.DONE) {
            exchange.upstreamFailed(504, "upstream did not answer the WebSocket handshake within " + timeout);
        }
        close();
    }

    @Override
    public void exception(IOSession ignored, Exception cause) {
        if (state == State.RELAYING_BODY) {
            body.fail(cause);
        } else if (state != State.DONE) {
            exchange.upstreamFailed(502, "upstream failed during the WebSocket handshake: " + cause);
        }
        session.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void disconnected(IOSession ignored) {
        if (state == State.RELAYING_BODY) {
            body.fail(new IOException("upstream closed"));
        } else if (state != State.DONE) {
            exchange.upstreamFailed(502, "upstream closed the connection during the WebSocket handshake");
        }
    }

    private void fail(int status, String reason) {
        if (state == State.RELAYING_BODY) {
            body.fail(new IOException(reason));
        } else if (state != State.DONE) {
            exchange.upstreamFailed(status, reason);
        }
        close();
    }

    private void close() {
        state = State.DONE;
        session.close(CloseMode.GRACEFUL);
    }
}
