package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

/**
 * The engine's promise: a connection opened while serving an accepted one lives on the same I/O thread, and each
 * side's listener hears only its own sessions.
 */
class SharedReactorTest {

    private static final int CLIENTS = 24;

    @Test
    void upstreamSessionsRunOnTheThreadOfTheClientThatOpenedThem() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            HttpHost upstreamHost = new HttpHost("http", "127.0.0.1", upstream.getLocalPort());
            Thread acceptor = new Thread(() -> {
                List<Socket> held = new ArrayList<>();
                try {
                    while (true) {
                        held.add(upstream.accept());
                    }
                } catch (IOException done) {
                    held.forEach(s -> {
                        try {
                            s.close();
                        } catch (IOException ignored) {
                        }
                    });
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            Map<String, String> clientThread = new ConcurrentHashMap<>();   // client session id -> thread
            Map<String, String> upstreamThread = new ConcurrentHashMap<>(); // client session id -> thread of its upstream
            Map<String, String> acceptedSeen = new ConcurrentHashMap<>();
            Map<String, String> outgoingSeen = new ConcurrentHashMap<>();
            CountDownLatch opened = new CountDownLatch(CLIENTS);
            SharedReactor[] holder = new SharedReactor[1];

            SharedReactor reactor = new SharedReactor(
                    IOReactorConfig.custom().setIoThreadCount(4).build(),
                    (session, attachment) -> new Quiet() {
                        @Override
                        public void connected(IOSession client) {
                            clientThread.put(client.getId(), Thread.currentThread().getName());
                            holder[0].connect(upstreamHost, null, Timeout.ofSeconds(5), s -> new Quiet(),
                                    new FutureCallback<>() {
                                        @Override
                                        public void completed(IOSession result) {
                                            upstreamThread.put(client.getId(), Thread.currentThread().getName());
                                            opened.countDown();
                                        }

                                        @Override
                                        public void failed(Exception ex) {
                                            upstreamThread.put(client.getId(), "failed: " + ex);
                                            opened.countDown();
                                        }

                                        @Override
                                        public void cancelled() {
                                            opened.countDown();
                                        }
                                    });
                        }
                    },
                    null, null,
                    new SessionLifecycleListener() {
                        @Override
                        public void connected(IOSession session) {
                            acceptedSeen.put(session.getId(), "");
                        }
                    },
                    new SessionLifecycleListener() {
                        @Override
                        public void connected(IOSession session) {
                            outgoingSeen.put(session.getId(), "");
                        }
                    },
                    null);
            holder[0] = reactor;
            reactor.start();
            InetSocketAddress bound = (InetSocketAddress) reactor
                    .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).get().getAddress();
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    clients.add(new Socket(bound.getAddress(), bound.getPort()));
                }
                assertThat(opened.await(10, TimeUnit.SECONDS)).isTrue();

                assertThat(upstreamThread).hasSize(CLIENTS);
                assertThat(upstreamThread).allSatisfy((client, thread) -> assertThat(thread).isEqualTo(clientThread.get(client)));
                assertThat(clientThread.values()).allMatch(name -> name.startsWith("relay-io-"));
                assertThat(clientThread.values().stream().distinct().count()).as("clients spread over the workers").isEqualTo(4);
                assertThat(acceptedSeen.keySet()).containsExactlyInAnyOrderElementsOf(clientThread.keySet());
                assertThat(outgoingSeen).as("the outgoing listener hears the upstream sessions only").hasSize(CLIENTS);
                assertThat(outgoingSeen.keySet()).doesNotContainAnyElementsOf(clientThread.keySet());
                assertThat(reactor.selectorsFound())
                        .as("every worker's selector, so that its sessions change their interest without waking it")
                        .isEqualTo(4);
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
                reactor.initiateShutdown();
                reactor.awaitShutdown(TimeValue.ofSeconds(2));
                reactor.close(CloseMode.IMMEDIATE);
                upstream.close();
            }
        }
    }

    @Test
    void connectOffTheReactorIsRefused() {
        SharedReactor reactor = new SharedReactor(IOReactorConfig.custom().setIoThreadCount(1).build(),
                (session, attachment) -> new Quiet(), null, null, null, null, null);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> reactor.connect(new HttpHost("127.0.0.1", 1), null,
                    Timeout.ofSeconds(1), s -> new Quiet(), null)).isInstanceOf(IllegalStateException.class);
        } finally {
            reactor.close(CloseMode.IMMEDIATE);
        }
    }

    /** A handler that does nothing. */
    private static class Quiet implements IOEventHandler {
        @Override
        public void connected(IOSession session) {
        }

        @Override
        public void inputReady(IOSession session, ByteBuffer src) {
        }

        @Override
        public void outputReady(IOSession session) {
        }

        @Override
        public void timeout(IOSession session, Timeout timeout) {
        }

        @Override
        public void exception(IOSession session, Exception cause) {
        }

        @Override
        public void disconnected(IOSession session) {
        }
    }

}
