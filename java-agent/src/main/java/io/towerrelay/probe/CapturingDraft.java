package io.towerrelay.probe;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.handshake.Handshakedata;

/**
 * RFC 6455 as Java-WebSocket implements it, but handing a copy of the handshake answer to the probe first:
 * for a non-101 answer the library keeps only the status line, and the headers and body (who answered,
 * what it said) are what tell a proxy problem from a Tower one.
 */
final class CapturingDraft extends Draft_6455 {
    private final Consumer<byte[]> sink;

    CapturingDraft(Consumer<byte[]> sink) {
        this.sink = sink;
    }

    @Override
    public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
        ByteBuffer copy = buf.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        sink.accept(bytes); // called again with more bytes when the head arrived in pieces
        return super.translateHandshake(buf);
    }

    @Override
    public Draft copyInstance() {
        return new CapturingDraft(sink);
    }
}
