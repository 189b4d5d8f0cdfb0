package io.towerrelay.hardening;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A well-behaved client that keeps one keep-alive connection to the relay and sends GET /api/v2/ping/ on it
 * over and over while a test attacks the relay on other connections. Stopping it says how it fared.
 */
final class BystanderClient {
    record Tally(int ok, int failures, String firstFailure) {}

    private final Thread thread;
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private volatile boolean running = true;

    private BystanderClient(InetSocketAddress relay, String path) {
        thread = new Thread(() -> run(relay, path), "bystander");
        thread.setDaemon(true);
    }

    static BystanderClient start(InetSocketAddress relay) {
        return start(relay, "/api/v2/ping/");
    }

    static BystanderClient start(InetSocketAddress relay, String path) {
        BystanderClient client = new BystanderClient(relay, path);
        client.thread.start();
        return client;
    }

    private void run(InetSocketAddress relay, String path) {
        RawConnection connection = null;
        while (running) {
            try {
                if (connection == null) {
                    connection = new RawConnection(relay);
                }
                String response = connection.write("GET " + path + " HTTP/1.1\r\nHost: tower\r\n\r\n").readOneResponse();
                if (response.startsWith("HTTP/1.1 200")) {
                    ok.incrementAndGet();
                } else {
                    fail(response.lines().findFirst().orElse(response));
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                fail(e.toString());
                connection = null;
            }
        }
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (Exception ignored) {
            // test over
        }
    }

    private void fail(String what) {
        failures.incrementAndGet();
        firstFailure.compareAndSet(null, what);
    }

    Tally stop() throws InterruptedException {
        running = false;
        thread.join(30_000);
        return new Tally(ok.get(), failures.get(), firstFailure.get());
    }
}
