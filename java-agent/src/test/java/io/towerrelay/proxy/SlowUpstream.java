package io.towerrelay.proxy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A real upstream whose every answer takes a while: for watching in-flight requests during shutdown. */
public final class SlowUpstream implements AutoCloseable {
    private final HttpServer server;
    private final CountDownLatch requested = new CountDownLatch(1);

    private SlowUpstream(HttpServer server) {
        this.server = server;
    }

    public static SlowUpstream start(long delayMillis) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        SlowUpstream upstream = new SlowUpstream(server);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            upstream.requested.countDown();
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "slow done\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return upstream;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public void awaitRequest() throws InterruptedException {
        if (!requested.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no request reached the upstream");
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
