package io.towerrelay.tunnel;

import io.towerrelay.http.BodyDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.nio.AsyncDataProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.reactor.IOSession;

/**
 * The body of an upstream answer that was not a 101, on its way to the client as a normal HTTP response:
 * the upstream thread decodes into a bounded buffer, HttpCore5 pulls from it on the client's thread. When the
 * buffer is full the upstream stops reading; the client side wakes it with {@code OP_WRITE} (not
 * {@code OP_READ}: the rest of the body may already sit in the handshake's input buffer).
 */
final class RelayedBody implements AsyncDataProducer {

    private static final int SIZE = 32 * 1024;

    private final IOSession upstream;
    private final ByteBuffer out = ByteBuffer.allocate(SIZE);
    private DataStreamChannel channel;
    private boolean complete;
    private boolean paused;
    private Exception error;

    RelayedBody(IOSession upstream) {
        this.upstream = upstream;
    }

    /**
     * Upstream thread: decode what {@code in} holds.
     *
     * @return true when the upstream should stop reading until woken
     */
    synchronized boolean pump(ByteBuffer in, BodyDecoder decoder, boolean endOfStream) {
        if (complete || error != null) {
            return false;
        }
        try {
            complete = decoder.decode(in, out, endOfStream);
        } catch (ProtocolException ex) {
            error = ex;
        }
        paused = !complete && error == null && !out.hasRemaining();
        if (channel != null && (out.position() > 0 || complete || error != null)) {
            channel.requestOutput();
        }
        return paused;
    }

    synchronized boolean finished() {
        return complete || error != null;
    }

    /** The upstream went away before the body was complete. */
    synchronized void fail(Exception cause) {
        if (!complete && error == null) {
            error = cause;
            if (channel != null) {
                channel.requestOutput();
            }
        }
    }

    @Override
    public synchronized int available() {
        if (out.position() > 0) {
            return out.position();
        }
        return complete || error != null ? 1 : 0;
    }

    @Override
    public synchronized void produce(DataStreamChannel dataChannel) throws IOException {
        this.channel = dataChannel;
        if (out.position() > 0) {
            out.flip();
            try {
                while (out.hasRemaining() && dataChannel.write(out) > 0) {
                    // keep writing while HttpCore5 takes it
                }
            } finally {
                out.compact();
            }
        }
        if (out.position() == 0) {
            if (error != null) {
                // Abort the client's response: its framing promised bytes that will never come.
                throw new IOException("Upstream failed while relaying a refused handshake: " + error.getMessage(), error);
            }
            if (complete) {
                dataChannel.endStream(null);
                return;
            }
        }
        if (paused && out.position() < SIZE / 2) {
            paused = false;
            upstream.setEvent(SelectionKey.OP_WRITE);
        }
    }

    @Override
    public void releaseResources() {
    }
}
