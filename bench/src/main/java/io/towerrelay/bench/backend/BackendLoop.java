package io.towerrelay.bench.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One backend thread: its own listening socket on the shared port (SO_REUSEPORT, so the kernel spreads
 * connections over the threads) and its own selector. No locks, no hand-offs: the backend must never be the
 * bottleneck of a proxy benchmark.
 */
final class BackendLoop implements Runnable {

    private final Selector selector;
    private final ServerSocketChannel server;
    private final Responses responses;
    private final List<BackendConnection> paced = new ArrayList<>();
    private volatile boolean running = true;

    BackendLoop(InetSocketAddress address, Responses responses) throws IOException {
        this.responses = responses;
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(address, 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    Responses responses() {
        return responses;
    }

    void paced(BackendConnection connection) {
        paced.add(connection);
    }

    void closed(BackendConnection connection) {
        // Removed from the paced list on the next tick.
    }

    @Override
    public void run() {
        long nextTick = Long.MAX_VALUE;
        while (running) {
            try {
                long now = System.nanoTime();
                long waitMillis = paced.isEmpty() ? 0 : Math.max(1, (nextTick - now) / 1_000_000L);
                if (!paced.isEmpty() && nextTick <= now) {
                    selector.selectNow();
                } else {
                    selector.select(waitMillis);
                }
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                        continue;
                    }
                    BackendConnection c = (BackendConnection) key.attachment();
                    try {
                        if (key.isReadable()) {
                            c.readable();
                        }
                        if (key.isValid() && key.isWritable()) {
                            c.writable();
                        }
                    } catch (IOException | RuntimeException e) {
                        c.close();
                    }
                }
                if (!paced.isEmpty()) {
                    nextTick = tickPaced(System.nanoTime());
                }
            } catch (IOException e) {
                System.err.println("backend loop: " + e);
            }
        }
    }

    private long tickPaced(long now) {
        long next = Long.MAX_VALUE;
        Iterator<BackendConnection> it = paced.iterator();
        while (it.hasNext()) {
            BackendConnection c = it.next();
            if (!c.isOpen()) {
                it.remove();
                continue;
            }
            try {
                next = Math.min(next, c.tick(now));
            } catch (IOException | RuntimeException e) {
                c.close();
                it.remove();
            }
        }
        return next;
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
            key.attach(new BackendConnection(this, channel, key));
        }
    }
}
