package io.towerrelay.mock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/** One accepted TCP connection: HTTP until it upgrades, then a {@link LiveSocket}. */
final class ClientConnection {
    static final int INITIAL_BUFFER = 16 * 1024;

    final SocketChannel channel;
    final SelectionKey key;
    final InetSocketAddress peer;
    final InetSocketAddress local;
    /** Bytes read and not yet parsed (write mode). */
    ByteBuffer in = ByteBuffer.allocate(INITIAL_BUFFER);
    /** HTTP responses not yet written. */
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    boolean closeWhenFlushed;
    /** A 100 Continue went out for the request whose body is being received. */
    boolean continueSent;
    boolean writeQueued;
    boolean closed;
    LiveSocket live;

    ClientConnection(SocketChannel channel, SelectionKey key) throws IOException {
        this.channel = channel;
        this.key = key;
        this.peer = (InetSocketAddress) channel.getRemoteAddress();
        this.local = (InetSocketAddress) channel.getLocalAddress();
    }

    /** Closes the socket; idempotent. */
    void closeChannel() {
        if (closed) {
            return;
        }
        closed = true;
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a socket the peer already reset: nothing left to do.
        }
    }
}
